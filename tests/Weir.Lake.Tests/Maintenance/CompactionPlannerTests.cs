using Weir.Lake.Catalog;
using Weir.Lake.Maintenance;

namespace Weir.Lake.Tests.Maintenance;

public sealed class CompactionPlannerTests
{
    private static readonly DateOnly Day = new(2026, 5, 18);
    private static readonly CompactionOptions Options = new() { TargetFileBytes = 1000, SmallFileBytes = 250 };

    [Fact]
    public void A_partition_that_fits_in_the_target_is_merged_whole_in_log_order()
    {
        // Listed out of log order, and with one file that is not small: the whole partition still fits in one file.
        var snapshot = Snapshot(File("s1", Day, 20, 30, bytes: 100), File("s1", Day, 0, 10, bytes: 600), File("s1", Day, 10, 20, bytes: 200));

        var group = Assert.Single(CompactionPlanner.Plan(snapshot, Options));

        Assert.Equal(("s1", Day), (group.SiteId, group.EventDate));
        Assert.Equal([Name(0, 10), Name(10, 20), Name(20, 30)], group.Files.Select(f => Path.GetFileNameWithoutExtension(f.Path)));
        Assert.Equal((0, 30), (group.LogStart, group.LogEnd));
        Assert.Equal(900, group.Bytes);
        Assert.Equal(30, group.Rows);
    }

    [Fact]
    public void A_partition_with_one_file_or_fewer_than_the_minimum_is_left_alone()
    {
        var snapshot = Snapshot(File("s1", Day, 0, 10), File("s2", Day, 0, 10), File("s2", Day, 10, 20));

        Assert.Empty(CompactionPlanner.PlanPartition(snapshot, "s1", Day, Options));
        Assert.Single(CompactionPlanner.PlanPartition(snapshot, "s2", Day, Options));
        Assert.Empty(CompactionPlanner.Plan(snapshot, Options with { MinFilesToCompact = 3 }));
        Assert.Empty(CompactionPlanner.PlanPartition(snapshot, "unknown", Day, Options));
    }

    [Fact]
    public void In_a_partition_bigger_than_the_target_only_small_files_are_merged()
    {
        var snapshot = Snapshot(
            File("s1", Day, 0, 10, bytes: 900),
            File("s1", Day, 10, 20, bytes: 100),
            File("s1", Day, 20, 30, bytes: 600),
            File("s1", Day, 30, 40, bytes: 100),
            File("s1", Day, 40, 50, bytes: 249));

        var group = Assert.Single(CompactionPlanner.Plan(snapshot, Options));

        Assert.Equal([Name(10, 20), Name(30, 40), Name(40, 50)], group.Files.Select(f => Path.GetFileNameWithoutExtension(f.Path)));
        Assert.Equal((10, 50), (group.LogStart, group.LogEnd));
    }

    [Fact]
    public void Big_files_alone_are_not_rewritten()
    {
        var snapshot = Snapshot(File("s1", Day, 0, 10, bytes: 700), File("s1", Day, 10, 20, bytes: 700), File("s1", Day, 20, 30, bytes: 100));

        Assert.Empty(CompactionPlanner.Plan(snapshot, Options));
    }

    [Fact]
    public void Small_files_are_packed_in_log_order_into_groups_no_bigger_than_the_target()
    {
        var files = Enumerable.Range(0, 10).Select(i => File("s1", Day, i * 10, i * 10 + 10, bytes: 300)).ToArray();
        var options = Options with { SmallFileBytes = 400 };

        var groups = CompactionPlanner.Plan(Snapshot(files), options);

        // 3 × 300 fits, a fourth would not; the tenth file is left for a later run rather than "merged" alone.
        Assert.Equal([3, 3, 3], groups.Select(g => g.Files.Count));
        Assert.All(groups, g => Assert.True(g.Bytes <= options.TargetFileBytes));
        Assert.Equal([(0L, 30L), (30L, 60L), (60L, 90L)], groups.Select(g => (g.LogStart, g.LogEnd)));
    }

    [Fact]
    public void Partitions_are_planned_separately_by_site_then_date()
    {
        var other = Day.AddDays(1);
        var snapshot = Snapshot(
            File("b", Day, 0, 10), File("a", other, 10, 20), File("b", Day, 20, 30), File("a", other, 30, 40), File("a", Day, 40, 50));

        var groups = CompactionPlanner.Plan(snapshot, Options);

        Assert.Equal([("a", other), ("b", Day)], groups.Select(g => (g.SiteId, g.EventDate)));
        Assert.All(groups, g => Assert.All(g.Files, f => Assert.Equal((g.SiteId, g.EventDate), (f.SiteId, f.EventDate))));
    }

    [Fact]
    public void The_small_file_size_defaults_to_a_quarter_of_the_target_and_bad_options_are_refused()
    {
        Assert.Equal(32L << 20, new CompactionOptions().SmallFileBytes);
        Assert.Equal(250, new CompactionOptions { TargetFileBytes = 1000 }.SmallFileBytes);
        var snapshot = Snapshot(File("s1", Day, 0, 10), File("s1", Day, 10, 20));

        Assert.Throws<ArgumentException>(() => CompactionPlanner.Plan(snapshot, new CompactionOptions { TargetFileBytes = 100, SmallFileBytes = 200 }));
        Assert.Throws<ArgumentException>(() => CompactionPlanner.Plan(snapshot, new CompactionOptions { MinFilesToCompact = 1 }));
        Assert.Throws<ArgumentException>(() => CompactionPlanner.Plan(snapshot, new CompactionOptions { GracePeriod = TimeSpan.FromSeconds(-1) }));
    }

    [Fact]
    public void A_group_refuses_files_of_another_partition()
    {
        Assert.Throws<ArgumentException>(() => new CompactionGroup("s1", Day, [File("s1", Day, 0, 10), File("s1", Day.AddDays(1), 10, 20)]));
        Assert.Throws<ArgumentException>(() => new CompactionGroup("s1", Day, []));
    }

    private static string Name(long start, long end) => $"{start:D20}-{end:D20}";

    private static CatalogFile File(string siteId, DateOnly day, long start, long end, long bytes = 100) => new()
    {
        Path = $"events/site_id={siteId}/event_date={day:yyyy-MM-dd}/{Name(start, end)}.parquet",
        SiteId = siteId,
        EventDate = day,
        Rows = end - start,
        Bytes = bytes,
        MinTimestamp = new DateTimeOffset(day, new TimeOnly(1, 0), TimeSpan.Zero),
        MaxTimestamp = new DateTimeOffset(day, new TimeOnly(2, 0), TimeSpan.Zero),
        LogStart = start,
        LogEnd = end,
        CreatedAt = new DateTimeOffset(day, new TimeOnly(3, 0), TimeSpan.Zero),
    };

    private static CatalogSnapshot Snapshot(params CatalogFile[] files) => CatalogSnapshot.Empty with { Files = files };
}
