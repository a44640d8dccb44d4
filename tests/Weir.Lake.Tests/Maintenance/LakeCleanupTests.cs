using Weir.Lake.Catalog;
using Weir.Lake.Maintenance;

namespace Weir.Lake.Tests.Maintenance;

public sealed class LakeCleanupTests : IDisposable
{
    private static readonly DateOnly Day = new(2026, 5, 18);
    private readonly LakeTestBed _lake = new();

    public void Dispose() => _lake.Dispose();

    [Fact]
    public void Orphan_cleanup_deletes_tmp_and_unlisted_parquet_files_and_empty_folders_and_keeps_the_rest()
    {
        var live = _lake.AddFile("s1", Day, 0, 10, new TestRow("a", LakeTestBed.At(Day, 1), LakeTestBed.At(Day, 1)));
        var replaced = _lake.AddFile("s1", Day, 10, 20, new TestRow("b", LakeTestBed.At(Day, 2), LakeTestBed.At(Day, 2)));
        _lake.Catalog.Commit(s => s with
        {
            Files = [live],
            PendingDeletes = [new PendingDelete { Path = replaced.Path, DeleteAfter = LakeTestBed.Start }],
        });
        var partition = _lake.Layout.PartitionDirectory("s1", Day);
        var temporary = Write(Path.Combine(partition, $"{20:D20}-{30:D20}.parquet.tmp"));
        var unlisted = Write(Path.Combine(partition, $"{0:D20}-{20:D20}-c9.parquet"));
        // A flush that never committed, alone in a new partition of a new site: the folders go too.
        var lonely = Write(Path.Combine(_lake.Layout.PartitionDirectory("s9", Day.AddDays(1)), $"{30:D20}-{40:D20}.parquet"));
        var emptyPartition = Directory.CreateDirectory(_lake.Layout.PartitionDirectory("s1", Day.AddDays(2))).FullName;
        var notes = Write(Path.Combine(partition, "notes.txt"));

        var result = LakeCleanup.RemoveOrphans(_lake.Layout, _lake.Catalog.Current);

        Assert.Equal([_lake.Layout.Relative(temporary)], result.TemporaryFiles);
        Assert.Equal([_lake.Layout.Relative(unlisted), _lake.Layout.Relative(lonely)], result.UnlistedFiles);
        Assert.Equal(3, result.Count);
        Assert.Equal(
            ["events/site_id=s1/event_date=2026-05-20", "events/site_id=s9/event_date=2026-05-19", "events/site_id=s9"],
            result.EmptyDirectories);
        _lake.AssertFilesOnDisk(_lake.Absolute(live), _lake.Absolute(replaced), notes, _lake.Catalog.FilePath);
        Assert.False(Directory.Exists(emptyPartition));
        Assert.True(Directory.Exists(partition));

        Assert.Equal(OrphanCleanupResult.None.Count, LakeCleanup.RemoveOrphans(_lake.Layout, _lake.Catalog.Current).Count);
    }

    [Fact]
    public void Orphan_cleanup_of_a_lake_without_files_does_nothing()
    {
        var result = LakeCleanup.RemoveOrphans(_lake.Layout, CatalogSnapshot.Empty);

        Assert.Empty(result.TemporaryFiles);
        Assert.Empty(result.UnlistedFiles);
        Assert.Empty(result.EmptyDirectories);
    }

    [Fact]
    public void The_sweep_deletes_only_what_is_due_and_missing_files_are_fine()
    {
        var due = _lake.AddFile("s1", Day, 0, 10, new TestRow("a", LakeTestBed.At(Day, 1), LakeTestBed.At(Day, 1)));
        var notYet = _lake.AddFile("s1", Day, 10, 20, new TestRow("b", LakeTestBed.At(Day, 2), LakeTestBed.At(Day, 2)));
        const string missing = "events/site_id=s1/event_date=2026-05-17/gone.parquet";
        _lake.Catalog.Commit(s => s with
        {
            Files = [],
            PendingDeletes =
            [
                new PendingDelete { Path = due.Path, DeleteAfter = LakeTestBed.Start.AddMinutes(-1) },
                new PendingDelete { Path = notYet.Path, DeleteAfter = LakeTestBed.Start.AddMinutes(1) },
                new PendingDelete { Path = missing, DeleteAfter = LakeTestBed.Start },
            ],
        });

        var result = LakeCleanup.SweepPendingDeletes(_lake.Catalog, _lake.Layout, _lake.Time.GetUtcNow());

        Assert.Equal([due.Path], result.Deleted);
        Assert.Equal([missing], result.Missing);
        Assert.Equal([notYet.Path], _lake.Catalog.Current.PendingDeletes.Select(p => p.Path));
        _lake.AssertFilesOnDisk(_lake.Absolute(notYet), _lake.Catalog.FilePath);

        var generation = _lake.Catalog.Current.Generation;
        Assert.Equal(0, LakeCleanup.SweepPendingDeletes(_lake.Catalog, _lake.Layout, _lake.Time.GetUtcNow()).Count);
        Assert.Equal(generation, _lake.Catalog.Current.Generation);
    }

    private static string Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "x");
        return path;
    }
}
