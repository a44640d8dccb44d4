using System.Text;
using Weir.DuckDb;
using Weir.Lake.Catalog;
using Weir.Lake.Maintenance;

namespace Weir.Lake.Tests.Maintenance;

public sealed class FileEraserTests : IDisposable
{
    // Sorts after every other user id, so Parquet's min/max statistics (kept uncompressed in the footer) carry it:
    // a raw byte scan can then find it in a file that holds it, which the test checks before erasing.
    private const string Person = "zz-erase-me-7f3a91c2";
    private static readonly DateOnly Day = new(2026, 5, 18);
    private readonly LakeTestBed _lake = new();

    public void Dispose() => _lake.Dispose();

    [Fact]
    public void Erasure_removes_every_matching_row_and_leaves_no_byte_of_the_value_anywhere_under_the_lake()
    {
        var first = _lake.AddFile("s1", Day, 0, 10,
            Row("r1", 1, userId: Person), Row("r2", 2, userId: "alice"), Row("r3", 3, anonymousId: "anon-3"));
        _lake.AddFile("s1", Day, 10, 20, Row("r4", 4, userId: Person), Row("r5", 5, userId: "bob"));
        var untouched = _lake.AddFile("s1", Day.AddDays(1), 20, 30, Row("r6", 6, userId: "carol"));
        var otherSite = _lake.AddFile("s2", Day, 30, 40, Row("r7", 7, userId: Person), Row("r8", 8, userId: "dave"));
        // Compaction leaves the two s1 files as pending deletes: copies of the person's rows that no query plans over.
        var compactor = new Compactor(_lake.Catalog, _lake.Layout, _lake.Time, new CompactionOptions());
        var merged = compactor.CompactPartition(_lake.Connection, "s1", Day).Single().Output!;
        Assert.Contains(_lake.FilesOnDisk(), HoldsPerson);
        Assert.True(HoldsPerson(_lake.Absolute(first)));

        var eraser = new FileEraser(_lake.Catalog, _lake.Layout, _lake.Time);
        var result = eraser.EraseFromFiles(_lake.Connection, siteId: null, ErasureField.UserId, Person, ErasureDeletion.Immediate);

        Assert.Equal((3L, 2, 0, 1), (result.RowsErased, result.FilesRewritten, result.FilesRemoved, result.Rounds));
        Assert.Equal([merged, otherSite.Path], result.Files.Select(f => f.Input));
        Assert.Equal(4, result.ReplacedFilesDeleted.Count);
        Assert.Equal(0, _lake.Scalar($"SELECT count(*) FROM read_parquet({_lake.CurrentFileList()}) WHERE user_id = '{Person}'"));
        Assert.Equal(["r2", "r3", "r5", "r6", "r8"], _lake.Strings($"SELECT message_id FROM read_parquet({_lake.CurrentFileList()}) ORDER BY message_id"));
        Assert.Contains(_lake.Catalog.Current.Files, f => f == untouched);
        Assert.Empty(_lake.Catalog.Current.PendingDeletes);

        // Nothing but the catalog's files and the catalog itself is left, and none of them holds the value.
        _lake.AssertFilesOnDisk([.. _lake.Catalog.Current.Files.Select(_lake.Absolute), _lake.Catalog.FilePath]);
        Assert.DoesNotContain(_lake.FilesOnDisk(), HoldsPerson);
    }

    [Fact]
    public void A_file_whose_rows_all_match_leaves_the_catalog_without_a_replacement()
    {
        var gone = _lake.AddFile("s1", Day, 0, 10, Row("r1", 1, anonymousId: "anon-x"), Row("r2", 2, anonymousId: "anon-x"));
        var kept = _lake.AddFile("s1", Day, 10, 20, Row("r3", 3, anonymousId: "anon-y"));
        var eraser = new FileEraser(_lake.Catalog, _lake.Layout, _lake.Time);

        var result = eraser.EraseFromFiles(_lake.Connection, "s1", ErasureField.AnonymousId, "anon-x", ErasureDeletion.Immediate);

        var erased = Assert.Single(result.Files);
        Assert.Equal((gone.Path, (string?)null, 2L, 2L), (erased.Input, erased.Output, erased.RowsBefore, erased.RowsErased));
        Assert.Equal((0, 1), (result.FilesRewritten, result.FilesRemoved));
        Assert.Equal([kept], _lake.Catalog.Current.Files);
        Assert.Empty(_lake.Catalog.Current.PendingDeletes);
        _lake.AssertFilesOnDisk(_lake.Absolute(kept), _lake.Catalog.FilePath);
    }

    [Fact]
    public void Erasing_in_one_site_leaves_the_others_and_a_grace_keeps_the_old_file_until_the_sweep()
    {
        var s1 = _lake.AddFile("s1", Day, 0, 10, Row("r1", 1, userId: Person), Row("r2", 2, userId: "alice"));
        var s2 = _lake.AddFile("s2", Day, 10, 20, Row("r3", 3, userId: Person));
        var eraser = new FileEraser(_lake.Catalog, _lake.Layout, _lake.Time);

        var result = eraser.EraseFromFiles(_lake.Connection, "s1", ErasureField.UserId, Person, ErasureDeletion.After(TimeSpan.FromMinutes(5)));

        Assert.Equal("s1", result.SiteId);
        Assert.Equal(1, result.FilesScanned);
        var rewritten = Assert.Single(result.Files);
        Assert.Equal((s1.Path, 1L), (rewritten.Input, rewritten.RowsErased));
        Assert.Equal($"events/site_id=s1/event_date=2026-05-18/{0:D20}-{10:D20}-e{_lake.Catalog.Current.Generation}.parquet", rewritten.Output);
        Assert.Empty(result.ReplacedFilesDeleted);
        Assert.Equal([rewritten.Output, s2.Path], _lake.Catalog.Current.Files.Select(f => f.Path));
        Assert.Equal(["r2", "r3"], _lake.Strings($"SELECT message_id FROM read_parquet({_lake.CurrentFileList()}) ORDER BY message_id"));
        var pending = Assert.Single(_lake.Catalog.Current.PendingDeletes);
        Assert.Equal((s1.Path, LakeTestBed.Start.AddMinutes(5)), (pending.Path, pending.DeleteAfter));
        Assert.True(File.Exists(_lake.Absolute(s1)));

        _lake.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal([s1.Path], LakeCleanup.SweepPendingDeletes(_lake.Catalog, _lake.Layout, _lake.Time.GetUtcNow()).Deleted);
        Assert.False(File.Exists(_lake.Absolute(s1)));
        Assert.True(File.Exists(_lake.Absolute(s2)));
    }

    [Fact]
    public void The_value_is_matched_exactly_and_never_becomes_sql_text()
    {
        const string hostile = "o'brien\"); DROP TABLE source; --\0tail";
        _lake.AddFile("s1", Day, 0, 10,
            Row("r1", 1, anonymousId: hostile), Row("r2", 2, anonymousId: "o'brien"), Row("r3", 3, anonymousId: hostile + " "), Row("r4", 4));
        var eraser = new FileEraser(_lake.Catalog, _lake.Layout, _lake.Time);

        var result = eraser.EraseFromFiles(_lake.Connection, "s1", ErasureField.AnonymousId, hostile, ErasureDeletion.Immediate);

        Assert.Equal(1, result.RowsErased);
        Assert.Equal(["r2", "r3", "r4"], _lake.Strings($"SELECT message_id FROM read_parquet({_lake.CurrentFileList()}) ORDER BY message_id"));
        Assert.Equal(0, _lake.Scalar("SELECT count(*) FROM source WHERE false")); // still there
        Assert.Null(_lake.Connection.ExecuteScalar("SELECT getvariable('weir_erasure_value')"));
    }

    [Fact]
    public void When_compaction_replaces_a_file_during_its_rewrite_the_erasure_searches_again()
    {
        _lake.AddFile("s1", Day, 0, 10, Row("r1", 1, userId: Person), Row("r2", 2, userId: "alice"));
        _lake.AddFile("s1", Day, 10, 20, Row("r3", 3, userId: "bob"));
        var compactor = new Compactor(_lake.Catalog, _lake.Layout, _lake.Time, new CompactionOptions());
        var eraser = new FileEraser(_lake.Catalog, _lake.Layout, _lake.Time);
        string? merged = null;
        eraser.BeforeCommit = _ => merged ??= compactor.Compact(_lake.Connection, compactor.Plan().Single()).Output;

        var result = eraser.EraseFromFiles(_lake.Connection, "s1", ErasureField.UserId, Person, ErasureDeletion.Immediate);

        Assert.NotNull(merged);
        Assert.Equal(2, result.Rounds);
        var erased = Assert.Single(result.Files);
        Assert.Equal((merged, 1L), (erased.Input, erased.RowsErased));
        Assert.Equal(["r2", "r3"], _lake.Strings($"SELECT message_id FROM read_parquet({_lake.CurrentFileList()}) ORDER BY message_id"));
        // Compaction's inputs wait out their grace, except the one that held the person's row, deleted at once.
        var catalog = _lake.Catalog.Current;
        Assert.Equal([$"events/site_id=s1/event_date=2026-05-18/{10:D20}-{20:D20}.parquet"], catalog.PendingDeletes.Select(p => p.Path));
        _lake.AssertFilesOnDisk([.. catalog.Files.Select(_lake.Absolute), .. catalog.PendingDeletes.Select(p => _lake.Layout.Absolute(p.Path)), _lake.Catalog.FilePath]);
        Assert.DoesNotContain(_lake.FilesOnDisk(), HoldsPerson);
    }

    [Fact]
    public void Every_swap_goes_through_the_callers_commit_on_its_connection_before_the_old_file_is_deleted()
    {
        var file = _lake.AddFile("s1", Day, 0, 10, Row("r1", 1, userId: Person), Row("r2", 2, userId: "alice"));
        var commits = new List<(DuckDbConnection Connection, bool OldFileThere)>();
        CatalogSnapshot Commit(Func<CatalogSnapshot, CatalogSnapshot> change, DuckDbConnection connection)
        {
            // Where the lake re-creates its view: the old file must still be on disk for queries planned before.
            commits.Add((connection, File.Exists(_lake.Absolute(file))));
            return _lake.Catalog.Commit(change);
        }

        var eraser = new FileEraser(_lake.Catalog, _lake.Layout, _lake.Time, Commit);
        eraser.EraseFromFiles(_lake.Connection, "s1", ErasureField.UserId, Person, ErasureDeletion.Immediate);

        // The swap, then the commit that forgets the deleted file's pending entry.
        Assert.Equal([(_lake.Connection, true), (_lake.Connection, false)], commits);
        Assert.False(File.Exists(_lake.Absolute(file)));
    }

    [Fact]
    public void An_erasure_that_finds_nothing_changes_nothing()
    {
        var file = _lake.AddFile("s1", Day, 0, 10, Row("r1", 1, userId: "alice"));
        var before = _lake.Catalog.Current;

        var result = new FileEraser(_lake.Catalog, _lake.Layout, _lake.Time)
            .EraseFromFiles(_lake.Connection, null, ErasureField.UserId, Person, ErasureDeletion.Immediate);

        Assert.Empty(result.Files);
        Assert.Equal(0, result.RowsErased);
        Assert.Same(before, _lake.Catalog.Current);
        Assert.True(File.Exists(_lake.Absolute(file)));
    }

    private static TestRow Row(string id, int hour, string? userId = null, string? anonymousId = null) =>
        new(id, LakeTestBed.At(Day, hour), LakeTestBed.At(Day, hour), userId, anonymousId);

    private static bool HoldsPerson(string path) => File.ReadAllBytes(path).AsSpan().IndexOf(Encoding.UTF8.GetBytes(Person)) >= 0;
}
