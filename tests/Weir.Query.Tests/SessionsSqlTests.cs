using Weir.DuckDb;
using Weir.Lake;
using Weir.Query.Execution;
using Weir.Query.Sessions;

namespace Weir.Query.Tests;

public sealed class SessionsSqlTests
{
    [Fact]
    public void A_thirty_minute_gap_cuts_a_session_whatever_the_order_of_the_rows()
    {
        using var database = DuckDbDatabase.Open(DuckDbDatabase.InMemory);
        using var connection = database.Connect();
        var columns = string.Join(", ", EventColumns.All.Select(c => $"\"{c.Name}\" {c.SqlType}"));
        connection.Execute($"CREATE TABLE events ({columns}, event_date DATE)");
        // Inserted out of order: 10:40 is more than 30 minutes after 10:05, so it starts a second session.
        connection.Execute("""
            INSERT INTO events (message_id, site_id, type, event, anonymous_id, "timestamp", path, source) VALUES
              ('c', 's', 'page', 'pageview', 'a1', TIMESTAMPTZ '2026-01-01 10:40:00+00', '/three', 'bing'),
              ('a', 's', 'page', 'pageview', 'a1', TIMESTAMPTZ '2026-01-01 10:00:00+00', '/one', 'google'),
              ('b', 's', 'page', 'pageview', 'a1', TIMESTAMPTZ '2026-01-01 10:05:00+00', '/two', 'direct'),
              ('d', 's', 'identify', 'identify', 'a1', TIMESTAMPTZ '2026-01-01 10:06:00+00', NULL, NULL)
            """);
        var result = connection.Query($"SELECT session_seq, entry_page, exit_page, pageviews, duration_seconds, is_bounce, source FROM ({SessionsSql.Of("events")}) ORDER BY session_seq");
        var rows = ResultRows.ReadAll(result);
        Assert.Equal(2, rows.Count);
        Assert.Equal(new object?[] { 1L, "/one", "/two", 2L, 300.0, false, "google" }, rows[0]);
        Assert.Equal(new object?[] { 2L, "/three", "/three", 1L, 0.0, true, "bing" }, rows[1]);
    }
}
