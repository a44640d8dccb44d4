using Weir.Lake.Catalog;
using Weir.Lake.Maintenance;

namespace Weir.Lake.Tests.Maintenance;

/// <summary>Retention works on the catalog alone (files leave through the pending deletes), so no Parquet is needed.</summary>
public sealed class RetentionTests : IDisposable
{
    // 2026-05-20 at 00:30 UTC (still the 19th in the Americas): "today" is the UTC date.
    private static readonly DateTimeOffset Now = new(2026, 5, 20, 0, 30, 0, TimeSpan.Zero);
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(10);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Only_partitions_older_than_each_sites_retention_are_dropped_in_one_commit()
    {
        var store = CatalogStore.Open(_temp.Path);
        // s1 keeps 7 days: the cutoff is 2026-05-13, which is kept; the 12th goes.
        var kept = File("s1", new DateOnly(2026, 5, 13), "a", rows: 1);
        var old = File("s1", new DateOnly(2026, 5, 12), "b", rows: 2);
        var older = File("s1", new DateOnly(2026, 4, 1), "c", rows: 3);
        var older2 = File("s1", new DateOnly(2026, 4, 1), "d", rows: 4);
        var today = File("s1", new DateOnly(2026, 5, 20), "e", rows: 5);
        // s2 has no retention; s3 keeps a year.
        var forever = File("s2", new DateOnly(2020, 1, 1), "f", rows: 6);
        var year = File("s3", new DateOnly(2025, 6, 1), "g", rows: 7);
        var beyondYear = File("s3", new DateOnly(2025, 5, 19), "h", rows: 8);
        store.Commit(s => s with { Files = [kept, old, older, older2, today, forever, year, beyondYear] });
        var generation = store.Current.Generation;

        var result = Retention.Apply(store, new Dictionary<string, int> { ["s1"] = 7, ["s3"] = 365 }, Now, Grace);

        Assert.Equal([("s1", new DateOnly(2026, 4, 1)), ("s1", new DateOnly(2026, 5, 12)), ("s3", new DateOnly(2025, 5, 19))],
            result.Partitions.Select(p => (p.SiteId, p.EventDate)));
        Assert.Equal((4, 2L + 3 + 4 + 8), (result.Files, result.Rows));
        var catalog = store.Current;
        Assert.Equal(generation + 1, catalog.Generation);
        Assert.Equal([kept, today, forever, year], catalog.Files);
        Assert.Equal([old.Path, older.Path, older2.Path, beyondYear.Path], catalog.PendingDeletes.Select(p => p.Path));
        Assert.All(catalog.PendingDeletes, p => Assert.Equal(Now + Grace, p.DeleteAfter));
    }

    [Fact]
    public void Nothing_expired_commits_nothing()
    {
        var store = CatalogStore.Open(_temp.Path);
        store.Commit(s => s with { Files = [File("s1", new DateOnly(2026, 5, 19), "a")] });
        var before = store.Current;

        var result = Retention.Apply(store, _ => 30, Now, Grace);

        Assert.Empty(result.Partitions);
        Assert.Equal(0, result.Files);
        Assert.Same(before, store.Current);
    }

    [Fact]
    public void A_retention_below_one_day_is_refused_before_anything_is_dropped()
    {
        var store = CatalogStore.Open(_temp.Path);
        store.Commit(s => s with { Files = [File("a", new DateOnly(2020, 1, 1), "x"), File("b", new DateOnly(2020, 1, 1), "y")] });
        var before = store.Current;

        Assert.Throws<ArgumentOutOfRangeException>(() => Retention.Apply(store, site => site == "a" ? 30 : 0, Now, Grace));
        Assert.Same(before, store.Current);
        Assert.Equal(2, Retention.Plan(before, _ => 1, Now).Count);
    }

    private static CatalogFile File(string siteId, DateOnly day, string name, long rows = 10) => new()
    {
        Path = $"events/site_id={siteId}/event_date={day:yyyy-MM-dd}/{name}.parquet",
        SiteId = siteId,
        EventDate = day,
        Rows = rows,
        Bytes = rows * 100,
        MinTimestamp = new DateTimeOffset(day, new TimeOnly(1, 0), TimeSpan.Zero),
        MaxTimestamp = new DateTimeOffset(day, new TimeOnly(2, 0), TimeSpan.Zero),
        LogStart = 0,
        LogEnd = rows,
        CreatedAt = new DateTimeOffset(day, new TimeOnly(3, 0), TimeSpan.Zero),
    };
}
