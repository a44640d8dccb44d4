using System.CommandLine;
using Weir.Cli.Output;
using Weir.Core.Configuration;
using Weir.DuckDb;

namespace Weir.Cli.Commands;

/// <summary>
/// <c>weir query "SQL"</c>: runs SQL against the data folder's DuckDB database and prints the result as a table,
/// CSV or JSON. Until the lake exists, the database is <c>&lt;data&gt;/weir.duckdb</c>, created when missing.
/// </summary>
internal static class QueryCommand
{
    public const string DatabaseFileName = "weir.duckdb";

    public static Command Create(IReadOnlyDictionary<string, string?> environment)
    {
        var sql = new Argument<string>("sql") { Description = "The SQL to run. Several statements may be separated by ';'; the last one's result is printed." };
        var format = new Option<string>("--format")
        {
            Description = "How to print the result.",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong("table", "csv", "json");
        var data = ConfigurationOptions.Data();
        var command = new Command("query", "Run SQL against the data folder and print the result.") { sql, format, data };

        command.SetAction(parseResult => Run(
            parseResult.GetRequiredValue(sql),
            parseResult.GetRequiredValue(format),
            parseResult.GetValue(data),
            environment,
            parseResult.InvocationConfiguration.Output,
            parseResult.InvocationConfiguration.Error));
        return command;
    }

    private static int Run(string sql, string format, string? dataFlag, IReadOnlyDictionary<string, string?> environment,
        TextWriter output, TextWriter error)
    {
        string dataDirectory;
        try
        {
            dataDirectory = WeirConfiguration.ResolveDataDirectory(dataFlag, environment);
        }
        catch (WeirConfigurationException e)
        {
            ErrorOutput.WriteConfigurationErrors(error, e);
            return ExitCodes.Usage;
        }

        var startedAt = TimeProvider.System.GetTimestamp();
        try
        {
            using var database = DuckDbDatabase.Open(Path.Combine(dataDirectory, DatabaseFileName));
            using var connection = database.Connect();
            using var result = RunScript(connection, sql);
            if (ResultColumns.FindUnsupported(result) is { } problem)
            {
                error.WriteLine($"weir query: {problem}");
                return ExitCodes.Failure;
            }

            IResultWriter writer = format switch
            {
                "csv" => new CsvResultWriter(),
                "json" => new JsonResultWriter(TimeProvider.System, startedAt),
                _ => new TableResultWriter(),
            };
            writer.Write(result, output);
        }
        catch (DuckDbException e)
        {
            error.WriteLine(e.Message);
            return ExitCodes.Failure;
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// Runs every statement but the last, then streams the last one's result, so a large result is printed as it is
    /// read instead of being held in memory first.
    /// </summary>
    private static DuckDbResult RunScript(DuckDbConnection connection, string sql)
    {
        using var statements = connection.ExtractStatements(sql);
        for (var i = 0; i < statements.Count - 1; i++)
        {
            using var statement = statements.Prepare(i);
            statement.ExecuteNonQuery();
        }

        using var last = statements.Prepare(statements.Count - 1);
        return last.ExecuteStreaming();
    }
}
