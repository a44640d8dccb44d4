using Weir.DuckDb;
using Weir.Lake;
using Weir.Query.Execution;
using Weir.Query.Sessions;

namespace Weir.Query.Tests;

public sealed class SessionsSqlTests
{
    private static readonly string UtcDay = LocalTimeSql.Date(TimeZoneInfo.Utc, null, DateTimeOffset.Parse("2027-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private static DuckDbConnection EventsTable(DuckDbDatabase database)
    {
        var connection = database.Connect();
        var columns = string.Join(", ", EventColumns.All.Select(c => $"\"{c.Name}\" {c.SqlType}"));
        connection.Execute($"CREATE TABLE events ({columns}, event_date DATE)");
        return connection;
    }

    [Fact]
    public void Midnight_in_the_sites_time_zone_ends_a_session()
    {
        using var database = DuckDbDatabase.Open(DuckDbDatabase.InMemory);
        using var connection = EventsTable(database);
        // 22:50 and 23:10 UTC are 23:50 and 00:10 in Berlin (CET, UTC+1): ten minutes apart, but on two local days.
        // 10:00 and 10:20 UTC the next day are the same local day.
        connection.Execute("""
            INSERT INTO events (message_id, site_id, type, event, anonymous_id, "timestamp", path) VALUES
              ('a', 's', 'page', 'pageview', 'a1', TIMESTAMPTZ '2026-01-01 22:50:00+00', '/late'),
              ('b', 's', 'page', 'pageview', 'a1', TIMESTAMPTZ '2026-01-01 23:10:00+00', '/after-midnight'),
              ('c', 's', 'page', 'pageview', 'a1', TIMESTAMPTZ '2026-01-02 10:00:00+00', '/morning'),
              ('d', 's', 'page', 'pageview', 'a1', TIMESTAMPTZ '2026-01-02 10:20:00+00', '/later')
            """);
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var localDay = LocalTimeSql.Date(berlin, DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse("2026-01-03T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

        var rows = ResultRows.ReadAll(connection.Query($"SELECT CAST(start_date AS VARCHAR), entry_page, exit_page FROM ({SessionsSql.Of("events", localDay)}) ORDER BY session_seq"));
        var utcRows = ResultRows.ReadAll(connection.Query($"SELECT count(*) FROM ({SessionsSql.Of("events", UtcDay)})"));

        Assert.Equal(3, rows.Count);
        Assert.Equal(new object?[] { "2026-01-01", "/late", "/late" }, rows[0]);
        Assert.Equal(new object?[] { "2026-01-02", "/after-midnight", "/after-midnight" }, rows[1]);
        Assert.Equal(new object?[] { "2026-01-02", "/morning", "/later" }, rows[2]);
        // In UTC the first two are on one day and twenty minutes apart: one session.
        Assert.Equal(2L, utcRows[0][0]);
    }

    [Fact]
    public void A_thirty_minute_gap_cuts_a_session_whatever_the_order_of_the_rows()
    {
        using var database = DuckDbDatabase.Open(DuckDbDatabase.InMemory);
        using var connection = EventsTable(database);
        // Inserted out of order: 10:40 is more than 30 minutes after 10:05, so it starts a second session.
        connection.Execute("""
            INSERT INTO events (message_id, site_id, type, event, anonymous_id, "timestamp", path, source) VALUES
              ('c', 's', 'page', 'pageview', 'a1', TIMESTAMPTZ '2026-01-01 10:40:00+00', '/three', 'bing'),
              ('a', 's', 'page', 'pageview', 'a1', TIMESTAMPTZ '2026-01-01 10:00:00+00', '/one', 'google'),
              ('b', 's', 'page', 'pageview', 'a1', TIMESTAMPTZ '2026-01-01 10:05:00+00', '/two', 'direct'),
              ('d', 's', 'identify', 'identify', 'a1', TIMESTAMPTZ '2026-01-01 10:06:00+00', NULL, NULL)
            """);
        var result = connection.Query($"SELECT session_seq, entry_page, exit_page, pageviews, duration_seconds, is_bounce, source FROM ({SessionsSql.Of("events", UtcDay)}) ORDER BY session_seq");
        var rows = ResultRows.ReadAll(result);
        Assert.Equal(2, rows.Count);
        Assert.Equal(new object?[] { 1L, "/one", "/two", 2L, 300.0, false, "google" }, rows[0]);
        Assert.Equal(new object?[] { 2L, "/three", "/three", 1L, 0.0, true, "bing" }, rows[1]);
    }
}
