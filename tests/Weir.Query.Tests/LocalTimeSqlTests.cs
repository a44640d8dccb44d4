using System.Globalization;
using Weir.DuckDb;
using Weir.Query.Execution;

namespace Weir.Query.Tests;

public sealed class LocalTimeSqlTests
{
    [Theory]
    [InlineData("Europe/Berlin")]
    [InlineData("America/New_York")]
    [InlineData("Australia/Lord_Howe")] // a half-hour daylight-saving shift
    [InlineData("Asia/Kolkata")] // no daylight saving, a half-hour offset
    [InlineData("UTC")]
    public void The_local_time_is_net_s_for_every_hour_across_daylight_saving_changes(string zoneId)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var from = DateTimeOffset.Parse("2025-01-01T00:00:00Z", CultureInfo.InvariantCulture);
        var to = DateTimeOffset.Parse("2027-01-01T00:00:00Z", CultureInfo.InvariantCulture);
        using var database = DuckDbDatabase.Open(DuckDbDatabase.InMemory);
        using var connection = database.Connect();
        // Every hour of two years, and the seconds either side of each hour, where a change takes effect.
        connection.Execute("CREATE TABLE t AS SELECT make_timestamptz(epoch_us(TIMESTAMPTZ '2025-01-01 00:00:00+00') + h * 3600000000 + d * 1000000) AS \"timestamp\" "
            + "FROM range(0, 17544) r(h), (VALUES (-1), (0), (1)) s(d)");

        var rows = ResultRows.ReadAll(connection.Query($"SELECT epoch_us(\"timestamp\"), CAST({LocalTimeSql.Timestamp(zone, from, to)} AS VARCHAR), CAST({LocalTimeSql.Date(zone, from, to)} AS VARCHAR) FROM t"));

        Assert.Equal(17544 * 3, rows.Count);
        foreach (var row in rows)
        {
            var instant = DateTimeOffset.FromUnixTimeMilliseconds((long)row[0]! / 1000);
            var local = TimeZoneInfo.ConvertTime(instant, zone).DateTime;
            Assert.Equal(local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), row[1]);
            Assert.Equal(local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), row[2]);
        }
    }

    [Fact]
    public void A_zone_without_changes_is_one_addition()
    {
        var sql = LocalTimeSql.Micros(TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata"), null, DateTimeOffset.UtcNow);

        Assert.Equal("(epoch_us(\"timestamp\") + 19800000000)", sql);
    }
}
