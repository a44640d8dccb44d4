using System.CommandLine;
using Weir.Cli.Output;
using Weir.Core.Configuration;
using Weir.Core.Sites;
using Weir.DuckDb;
using Weir.Lake;
using Weir.Log;
using Weir.Query.Sql;
using Weir.Server;
using Weir.Server.Query;

namespace Weir.Cli.Commands;

/// <summary>
/// <c>weir query "SQL"</c>: one read-only SELECT over the data folder's lake (the views <c>events</c> and
/// <c>sessions</c>, every site), in the same sandbox as <c>POST /api/v1/sql</c>, printed as a table, CSV or JSON.
/// </summary>
/// <remarks>
/// It opens the lake itself, so it needs the folder to itself: the log's lock tells whether a server holds it (a
/// server would have files in flight that opening the lake removes as leftovers). It holds the lock while it reads
/// but does not load the log: after a clean stop every event is in Parquet; after a crash, the events the server had
/// not flushed show once it runs again.
/// </remarks>
internal static class QueryCommand
{
    public static Command Create(IReadOnlyDictionary<string, string?> environment)
    {
        var sql = new Argument<string>("sql") { Description = "One SELECT query over the views events and sessions." };
        var format = new Option<string>("--format")
        {
            Description = "How to print the result.",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong("table", "csv", "json");
        var data = ConfigurationOptions.Data();
        var command = new Command("query", "Run a read-only SQL query over the lake and print the result.") { sql, format, data };

        command.SetAction((parseResult, cancellationToken) => RunAsync(
            parseResult.GetRequiredValue(sql),
            parseResult.GetRequiredValue(format),
            parseResult.GetValue(data),
            environment,
            parseResult.InvocationConfiguration.Output,
            parseResult.InvocationConfiguration.Error));
        return command;
    }

    private static async Task<int> RunAsync(string sql, string format, string? dataFlag, IReadOnlyDictionary<string, string?> environment,
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

        Directory.CreateDirectory(dataDirectory);
        DurableLog log;
        try
        {
            log = DurableLog.Open(WeirServer.LogOptionsFor(dataDirectory));
        }
        catch (IOException e) when (e.Message.Contains("LOCK", StringComparison.Ordinal))
        {
            await error.WriteLineAsync($"weir query: the data folder {dataDirectory} is in use by a running server; ask it instead with POST /api/v1/sql.").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        await using (log.ConfigureAwait(false))
        {
            var lake = Lake.Lake.Open(new LakeOptions { DataDirectory = dataDirectory, BackgroundMaintenance = false }, log: null);
            await using (lake.ConfigureAwait(false))
            {
                var sites = SiteStore.Open(dataDirectory);
                return Print(new SqlSandbox(new LakeQuerySource(lake), siteTimeZones: () => WeirServer.TimeZones(sites)), sql, format, output, error);
            }
        }
    }

    private static int Print(SqlSandbox sandbox, string sql, string format, TextWriter output, TextWriter error)
    {
        var startedAt = TimeProvider.System.GetTimestamp();
        try
        {
            using var reader = sandbox.Open(sql, sites: null);
            if (ResultColumns.FindUnsupported(reader.Result) is { } problem)
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
            writer.Write(reader.Result, output);
        }
        catch (SqlRejectedException e)
        {
            error.WriteLine($"weir query: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (DuckDbException e)
        {
            error.WriteLine(e.Message);
            return ExitCodes.Failure;
        }

        return ExitCodes.Success;
    }
}
