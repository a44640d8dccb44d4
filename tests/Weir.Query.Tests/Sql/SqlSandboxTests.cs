using Weir.DuckDb;
using Weir.Lake;
using Weir.Query.Sql;

namespace Weir.Query.Tests.Sql;

/// <summary>The sandbox over a plain database, without the lake's locked-down settings: the checks of its own.</summary>
public sealed class SqlSandboxTests : IDisposable
{
    private readonly DuckDbDatabase _database = DuckDbDatabase.Open(DuckDbDatabase.InMemory);

    public SqlSandboxTests()
    {
        using var connection = _database.Connect();
        var columns = string.Join(", ", EventColumns.All.Select(c => $"\"{c.Name}\" {c.SqlType}"));
        connection.Execute($"CREATE TABLE events ({columns}, event_date DATE)");
        connection.Execute("CREATE TABLE secrets (s VARCHAR)");
        connection.Execute("""
            INSERT INTO events (message_id, site_id, type, event, anonymous_id, "timestamp", path) VALUES
              ('a', 'one', 'page', 'pageview', 'v1', TIMESTAMPTZ '2026-01-01 10:00:00+00', '/a'),
              ('b', 'two', 'page', 'pageview', 'v2', TIMESTAMPTZ '2026-01-01 10:00:00+00', '/b')
            """);
    }

    public void Dispose() => _database.Dispose();

    private SqlSandbox Sandbox(int maxRows = 100) => new(new Source(_database), new SqlSandboxOptions { MaxRows = maxRows });

    [Fact]
    public void Events_and_sessions_show_only_the_allowed_sites()
    {
        var events = Sandbox().Run("SELECT site_id FROM events", ["one"]);
        var sessions = Sandbox().Run("SELECT site_id, entry_page FROM sessions", ["one"]);
        var none = Sandbox().Run("SELECT count(*) AS n FROM events", []);
        var all = Sandbox().Run("SELECT count(*) AS n FROM events", null);

        Assert.Equal([new object?[] { "one" }], events.Rows);
        Assert.Equal([new object?[] { "one", "/a" }], sessions.Rows);
        Assert.Equal(0L, none.Rows[0][0]);
        Assert.Equal(2L, all.Rows[0][0]);
        Assert.Equal(new SqlColumn("n", "BIGINT"), all.Columns[0]);
    }

    [Fact]
    public void The_sessions_view_cuts_each_sites_sessions_at_its_own_midnight()
    {
        using (var connection = _database.Connect())
        {
            // 22:50 and 23:10 UTC: ten minutes apart, across midnight in Berlin but not in UTC.
            connection.Execute("""
                INSERT INTO events (message_id, site_id, type, event, anonymous_id, "timestamp", path) VALUES
                  ('c', 'one', 'page', 'pageview', 'v3', TIMESTAMPTZ '2026-01-01 22:50:00+00', '/c'),
                  ('d', 'one', 'page', 'pageview', 'v3', TIMESTAMPTZ '2026-01-01 23:10:00+00', '/d'),
                  ('e', 'two', 'page', 'pageview', 'v4', TIMESTAMPTZ '2026-01-01 22:50:00+00', '/e'),
                  ('f', 'two', 'page', 'pageview', 'v4', TIMESTAMPTZ '2026-01-01 23:10:00+00', '/f')
                """);
        }

        var sandbox = new SqlSandbox(new Source(_database), siteTimeZones: () => new Dictionary<string, string> { ["one"] = "Europe/Berlin", ["two"] = "UTC" });
        var result = sandbox.Run("SELECT site_id, count(*) AS n, CAST(max(start_date) AS VARCHAR) AS last FROM sessions WHERE visitor_key IN ('v3', 'v4') GROUP BY site_id ORDER BY site_id", null);

        Assert.Equal(new object?[] { "one", 2L, "2026-01-02" }, result.Rows[0]);
        Assert.Equal(new object?[] { "two", 1L, "2026-01-01" }, result.Rows[1]);
    }

    [Theory]
    [InlineData("SELECT * FROM secrets")]
    [InlineData("SELECT * FROM main.events")]
    [InlineData("WITH secrets AS (SELECT 1) SELECT * FROM secrets")]
    [InlineData("SELECT * FROM read_csv('/etc/passwd')")]
    [InlineData("SELECT getenv('HOME')")]
    [InlineData("SELECT 1; SELECT 2")]
    [InlineData("DROP TABLE secrets")]
    public void Other_relations_functions_and_statements_are_refused(string sql)
    {
        Assert.Throws<SqlRejectedException>(() => Sandbox().Run(sql, null));
    }

    [Fact]
    public void A_result_past_the_row_limit_is_truncated()
    {
        var result = Sandbox(maxRows: 3).Run("SELECT unnest(range(10)) AS n", null);

        Assert.Equal(3, result.Rows.Count);
        Assert.True(result.Truncated);
    }

    private sealed class Source(DuckDbDatabase database) : IQuerySource
    {
        public string EventsRelation => "\"events\"";

        public IReadOnlyList<string> DataDirectories => [];

        public DuckDbConnection Connect() => database.Connect();
    }
}
