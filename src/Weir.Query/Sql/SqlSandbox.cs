using System.Diagnostics;
using System.Text;
using Weir.DuckDb;
using Weir.Query.Execution;
using Weir.Query.Sessions;

namespace Weir.Query.Sql;

/// <summary>
/// Read-only SQL for people: one SELECT over the views <c>events</c> and <c>sessions</c>, showing only the sites the
/// caller may read, with a time limit and a row limit. See docs/query.md, "SQL sandbox", for the layers of defence.
/// </summary>
/// <remarks>
/// Each query gets its own connection, on which TEMP views <c>events</c> and <c>sessions</c> filter the source's
/// relation to the allowed sites and shadow it (DuckDB resolves temp objects first). The query's parse tree may name
/// only those two, unqualified, so it cannot reach the unfiltered view, the hot table or any file. What the database
/// itself refuses (files outside the lake, configuration changes) is the source's part: the lake opens its database
/// with external access off, its folders allowed and the configuration locked.
/// </remarks>
public sealed class SqlSandbox
{
    private readonly IQuerySource _source;
    private readonly Func<IReadOnlyDictionary<string, string>> _siteTimeZones;

    /// <param name="source">Where the events are.</param>
    /// <param name="options">Limits.</param>
    /// <param name="siteTimeZones">
    /// Each site's IANA time zone, read at every query, for the midnight that ends the <c>sessions</c> view's
    /// sessions; a site it does not name has its sessions cut at midnight UTC.
    /// </param>
    public SqlSandbox(IQuerySource source, SqlSandboxOptions? options = null, Func<IReadOnlyDictionary<string, string>>? siteTimeZones = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
        Options = options ?? new SqlSandboxOptions();
        _siteTimeZones = siteTimeZones ?? (static () => new Dictionary<string, string>());
    }

    public SqlSandboxOptions Options { get; }

    /// <summary>Runs <paramref name="sql"/> and keeps at most <see cref="SqlSandboxOptions.MaxRows"/> rows.</summary>
    /// <param name="sql">One SELECT (or WITH … SELECT) statement.</param>
    /// <param name="sites">The sites the query may see; null for every site.</param>
    /// <exception cref="SqlRejectedException">The query is not one the sandbox runs.</exception>
    /// <exception cref="DuckDbException">DuckDB refused or failed it (<see cref="DuckDbTimeoutException"/> past the time limit).</exception>
    public SqlResult Run(string sql, IReadOnlyCollection<string>? sites)
    {
        var started = Stopwatch.GetTimestamp();
        using var stream = Open(sql, sites);
        var result = stream.Result;
        var columns = new SqlColumn[result.ColumnCount];
        for (var c = 0; c < columns.Length; c++)
        {
            columns[c] = new SqlColumn(result.GetColumnName(c), result.GetColumnType(c).SqlName);
        }

        // Disposing the streaming result stops the query: the rows past the limit are never computed.
        var rows = ResultRows.Read(result, Options.MaxRows, out var truncated);
        return new SqlResult(columns, rows, truncated, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// Runs <paramref name="sql"/> and streams its whole result, for a caller that prints it as it reads (the CLI).
    /// The time limit covers the reading; there is no row limit.
    /// </summary>
    /// <inheritdoc cref="Run" path="/param"/>
    /// <inheritdoc cref="Run" path="/exception"/>
    public SqlReader Open(string sql, IReadOnlyCollection<string>? sites)
    {
        ArgumentNullException.ThrowIfNull(sql);
        if (sql.Length > Options.MaxSqlLength)
        {
            throw new SqlRejectedException($"the query is longer than {Options.MaxSqlLength} characters");
        }

        var connection = _source.Connect();
        try
        {
            Restrict(connection, sites);
            Check(connection, sql);
            using var statement = connection.Prepare(sql);
            if (statement.StatementType != DuckDbStatementType.Select)
            {
                throw new SqlRejectedException($"only SELECT queries are allowed, not {statement.StatementType}");
            }

            if (statement.ParameterCount > 0)
            {
                throw new SqlRejectedException("the query has parameters ($1, ?), but none can be given");
            }

            return new SqlReader(connection, statement.ExecuteStreaming(Options.Timeout));
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void Restrict(DuckDbConnection connection, IReadOnlyCollection<string>? sites)
    {
        var source = _source.EventsRelation;
        if (source.StartsWith('"'))
        {
            // Qualified, so that the temp view named events reads the source's relation rather than itself.
            var catalog = (string)connection.ExecuteScalar("SELECT current_database()")!;
            source = $"{Identifier(catalog)}.\"main\".{source}";
        }

        var events = new StringBuilder("CREATE OR REPLACE TEMP VIEW \"events\" AS SELECT * FROM ").Append(source);
        if (sites is not null)
        {
            events.Append(" WHERE ");
            if (sites.Count == 0)
            {
                events.Append("false");
            }
            else
            {
                events.Append("\"site_id\" IN (").AppendJoin(", ", sites.Select(Literal)).Append(')');
            }
        }

        connection.Execute(events.ToString());
        connection.Execute("CREATE OR REPLACE TEMP VIEW \"sessions\" AS " + SessionsSql.Of("temp.\"events\"", LocalDay(sites)));
    }

    /// <summary>The local day of an event in its site's time zone: one expression per site the query may see.</summary>
    private string LocalDay(IReadOnlyCollection<string>? sites)
    {
        // Exact from 1970 to tomorrow; later client times (which the lake clamps) take the last offset.
        var to = DateTimeOffset.UtcNow.AddDays(1);
        var utc = LocalTimeSql.Date(TimeZoneInfo.Utc, null, to);
        var sql = new StringBuilder();
        foreach (var (site, zoneId) in _siteTimeZones())
        {
            if ((sites is null || sites.Contains(site)) && TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var zone))
            {
                sql.Append(" WHEN ").Append(Literal(site)).Append(" THEN ").Append(LocalTimeSql.Date(zone, null, to));
            }
        }

        if (sql.Length == 0)
        {
            return utc;
        }

        return sql.Insert(0, "CASE \"site_id\"").Append(" ELSE ").Append(utc).Append(" END").ToString();
    }

    private static void Check(DuckDbConnection connection, string sql)
    {
        string serialized;
        using (var serialize = connection.Prepare("SELECT CAST(json_serialize_sql(CAST($1 AS VARCHAR)) AS VARCHAR)"))
        {
            serialize.Bind(1, sql);
            serialized = (string)(Execution.ResultRows.ReadAll(serialize.Execute())[0][0]
                ?? throw new SqlRejectedException("the query could not be parsed"));
        }

        var tree = SqlTreeCheck.Statement(serialized);
        var ctes = SqlTreeCheck.CteNames(tree);
        if (ctes.Count > 0)
        {
            // A CTE named like a real table would let a reference outside the CTE's scope reach that table.
            using var existing = connection.Prepare(
                "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal");
            foreach (var row in Execution.ResultRows.ReadAll(existing.Execute()))
            {
                if (row[0] is string name && ctes.Contains(name) && !SqlTreeCheck.Views.Contains(name))
                {
                    throw new SqlRejectedException($"a CTE cannot be named {name}: choose another name");
                }
            }
        }

        SqlTreeCheck.Check(tree, ctes);
    }

    private static string Identifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}

/// <summary>A sandboxed query's streaming result and the connection it runs on; dispose it to stop the query.</summary>
public sealed class SqlReader : IDisposable
{
    private readonly DuckDbConnection _connection;

    internal SqlReader(DuckDbConnection connection, DuckDbResult result)
    {
        _connection = connection;
        Result = result;
    }

    public DuckDbResult Result { get; }

    public void Dispose()
    {
        Result.Dispose();
        _connection.Dispose();
    }
}
