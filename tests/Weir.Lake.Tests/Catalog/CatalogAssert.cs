using Weir.Lake.Catalog;

namespace Weir.Lake.Tests.Catalog;

/// <summary>Deep comparison of snapshots: the records hold collections, which record equality compares by reference.</summary>
internal static class CatalogAssert
{
    public static void Equivalent(CatalogSnapshot expected, CatalogSnapshot actual)
    {
        Assert.Equal(expected.Generation, actual.Generation);
        Assert.Equal(expected.Watermark, actual.Watermark);
        Assert.Equal(expected.Files, actual.Files);
        Assert.Equal(expected.PendingDeletes, actual.PendingDeletes);
        Assert.Equal(expected.Sites.Keys.Order(StringComparer.Ordinal), actual.Sites.Keys.Order(StringComparer.Ordinal));
        foreach (var (siteId, schema) in expected.Sites)
        {
            var other = actual.Sites[siteId];
            Assert.Equal(schema.OverflowEvents, other.OverflowEvents);
            Assert.Equal(schema.OverflowKeys, other.OverflowKeys);
            Assert.Equal(schema.Events.OrderBy(p => p.Key, StringComparer.Ordinal), other.Events.OrderBy(p => p.Key, StringComparer.Ordinal));
            Assert.Equal(schema.Properties.Keys.Order(StringComparer.Ordinal), other.Properties.Keys.Order(StringComparer.Ordinal));
            foreach (var (key, stats) in schema.Properties)
            {
                var otherStats = other.Properties[key];
                Assert.Equal(stats.Count, otherStats.Count);
                Assert.Equal(stats.FirstSeen, otherStats.FirstSeen);
                Assert.Equal(stats.LastSeen, otherStats.LastSeen);
                Assert.Equal(stats.Types.OrderBy(p => p.Key, StringComparer.Ordinal), otherStats.Types.OrderBy(p => p.Key, StringComparer.Ordinal));
            }
        }
    }

    public static CatalogFile File(string siteId, DateOnly date, string name, long rows = 10, long logStart = 0, long logEnd = 10, int minHour = 1, int maxHour = 2) => new()
    {
        Path = $"events/site_id={siteId}/event_date={date:yyyy-MM-dd}/{name}.parquet",
        SiteId = siteId,
        EventDate = date,
        Rows = rows,
        Bytes = rows * 100,
        MinTimestamp = new DateTimeOffset(date, new TimeOnly(minHour, 0), TimeSpan.Zero),
        MaxTimestamp = new DateTimeOffset(date, new TimeOnly(maxHour, 0), TimeSpan.Zero),
        LogStart = logStart,
        LogEnd = logEnd,
        CreatedAt = new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero),
    };
}
