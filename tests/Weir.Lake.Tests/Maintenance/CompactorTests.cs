using Weir.DuckDb;
using Weir.Lake.Catalog;
using Weir.Lake.Maintenance;

namespace Weir.Lake.Tests.Maintenance;

public sealed class CompactorTests : IDisposable
{
    private static readonly DateOnly Day = new(2026, 5, 18);
    private readonly LakeTestBed _lake = new();

    public void Dispose() => _lake.Dispose();

    [Fact]
    public void Small_files_become_one_sorted_file_without_duplicates_and_the_old_ones_leave_after_the_grace()
    {
        var first = _lake.AddFile("s1", Day, 0, 10,
            new TestRow("a", LakeTestBed.At(Day, 10), LakeTestBed.At(Day, 10, 0, 5), Title: "later copy of a"),
            new TestRow("b", LakeTestBed.At(Day, 8), LakeTestBed.At(Day, 8)));
        var second = _lake.AddFile("s1", Day, 10, 20, new TestRow("c", LakeTestBed.At(Day, 9), LakeTestBed.At(Day, 9)));
        var third = _lake.AddFile("s1", Day, 20, 30,
            new TestRow("a", LakeTestBed.At(Day, 10), LakeTestBed.At(Day, 9, 59), Title: "first received a"),
            new TestRow("d", LakeTestBed.At(Day, 7), LakeTestBed.At(Day, 7)));
        var commits = new List<DuckDbConnection>();
        var compactor = new Compactor(_lake.Catalog, _lake.Layout, _lake.Time, new CompactionOptions(), (change, connection) =>
        {
            commits.Add(connection);
            return _lake.Catalog.Commit(change);
        });
        var generation = _lake.Catalog.Current.Generation;

        var result = compactor.Compact(_lake.Connection, Assert.Single(compactor.Plan()));

        Assert.Equal(CompactionOutcome.Compacted, result.Outcome);
        Assert.Equal([_lake.Connection], commits);
        Assert.Equal([first.Path, second.Path, third.Path], result.Inputs);
        Assert.Equal((5, 4, 1), (result.RowsIn, result.RowsOut, result.DuplicatesDropped));
        Assert.Equal($"events/site_id=s1/event_date=2026-05-18/{0:D20}-{30:D20}-c{generation + 1}.parquet", result.Output);

        var catalog = _lake.Catalog.Current;
        var merged = Assert.Single(catalog.Files);
        Assert.Equal(result.Output, merged.Path);
        Assert.Equal((0, 30, 4), (merged.LogStart, merged.LogEnd, merged.Rows));
        Assert.Equal(new FileInfo(_lake.Absolute(merged)).Length, merged.Bytes);
        Assert.Equal(result.BytesOut, merged.Bytes);
        Assert.Equal((LakeTestBed.At(Day, 7), LakeTestBed.At(Day, 10)), (merged.MinTimestamp, merged.MaxTimestamp));
        Assert.Equal(LakeTestBed.Start, merged.CreatedAt);
        Assert.Equal(["d", "b", "c", "a"], _lake.Strings($"SELECT message_id FROM read_parquet('{_lake.Absolute(merged)}')"));
        Assert.Equal(["first received a"], _lake.Strings($"SELECT title FROM read_parquet('{_lake.Absolute(merged)}') WHERE message_id = 'a'"));

        var graceEnds = LakeTestBed.Start + compactor.Options.GracePeriod;
        Assert.Equal([(first.Path, graceEnds), (second.Path, graceEnds), (third.Path, graceEnds)], catalog.PendingDeletes.Select(p => (p.Path, p.DeleteAfter)));
        Assert.All([first, second, third], f => Assert.True(File.Exists(_lake.Absolute(f))));

        _lake.Time.Advance(compactor.Options.GracePeriod - TimeSpan.FromTicks(1));
        Assert.Equal(0, LakeCleanup.SweepPendingDeletes(_lake.Catalog, _lake.Layout, _lake.Time.GetUtcNow()).Count);
        Assert.All([first, second, third], f => Assert.True(File.Exists(_lake.Absolute(f))));
        Assert.Equal(3, _lake.Catalog.Current.PendingDeletes.Count);

        _lake.Time.Advance(TimeSpan.FromTicks(1));
        var swept = LakeCleanup.SweepPendingDeletes(_lake.Catalog, _lake.Layout, _lake.Time.GetUtcNow());

        Assert.Equal([first.Path, second.Path, third.Path], swept.Deleted);
        Assert.Empty(swept.Missing);
        Assert.Empty(_lake.Catalog.Current.PendingDeletes);
        _lake.AssertFilesOnDisk(_lake.Absolute(merged), _lake.Catalog.FilePath);
        Assert.Equal(4, _lake.Scalar($"SELECT count(*) FROM read_parquet({_lake.CurrentFileList()})"));
    }

    [Fact]
    public void A_merge_whose_input_left_the_catalog_before_the_swap_is_thrown_away()
    {
        var first = _lake.AddFile("s1", Day, 0, 10, new TestRow("a", LakeTestBed.At(Day, 1), LakeTestBed.At(Day, 1)));
        var second = _lake.AddFile("s1", Day, 10, 20, new TestRow("b", LakeTestBed.At(Day, 2), LakeTestBed.At(Day, 2)));
        var compactor = new Compactor(_lake.Catalog, _lake.Layout, _lake.Time, new CompactionOptions());
        var group = Assert.Single(compactor.Plan());
        CatalogSnapshot? changed = null;
        // As an erasure would: the second file leaves the catalog while the merge (which read it) is being written.
        compactor.BeforeCommit = _ => changed = _lake.Catalog.Commit(s => s with { Files = [.. s.Files.Where(f => f.Path != second.Path)] });

        var result = compactor.Compact(_lake.Connection, group);

        Assert.Equal(CompactionOutcome.SkippedInputsChanged, result.Outcome);
        Assert.Null(result.Output);
        Assert.Equal(0, result.RowsOut);
        Assert.Same(changed, _lake.Catalog.Current);
        Assert.Equal([first.Path], _lake.Catalog.Current.Files.Select(f => f.Path));
        _lake.AssertFilesOnDisk(_lake.Absolute(first), _lake.Absolute(second), _lake.Catalog.FilePath);

        // The stale group is refused before anything is written.
        compactor.BeforeCommit = _ => Assert.Fail("A stale group must not be merged.");
        Assert.Equal(CompactionOutcome.SkippedInputsChanged, compactor.Compact(_lake.Connection, group).Outcome);
        _lake.AssertFilesOnDisk(_lake.Absolute(first), _lake.Absolute(second), _lake.Catalog.FilePath);
    }

    [Fact]
    public void The_merged_file_never_takes_a_name_the_catalog_or_the_disk_already_holds()
    {
        _lake.AddFile("s1", Day, 0, 10, new TestRow("a", LakeTestBed.At(Day, 1), LakeTestBed.At(Day, 1)));
        _lake.AddFile("s1", Day, 10, 20, new TestRow("b", LakeTestBed.At(Day, 2), LakeTestBed.At(Day, 2)));
        var folder = $"events/site_id=s1/event_date=2026-05-18/{0:D20}-{20:D20}";
        var next = _lake.Catalog.Current.Generation + 2; // after the commit below
        _lake.Catalog.Commit(s => s with { PendingDeletes = [new PendingDelete { Path = $"{folder}-c{next}.parquet", DeleteAfter = LakeTestBed.Start }] });
        var leftover = _lake.Layout.Absolute($"{folder}-c{next + 1}.parquet");
        File.WriteAllText(leftover, "a leftover of a crash");
        var compactor = new Compactor(_lake.Catalog, _lake.Layout, _lake.Time, new CompactionOptions());

        var result = compactor.Compact(_lake.Connection, Assert.Single(compactor.Plan()));

        Assert.Equal(CompactionOutcome.Compacted, result.Outcome);
        Assert.Equal($"{folder}-c{next + 2}.parquet", result.Output);
        Assert.Equal("a leftover of a crash", File.ReadAllText(leftover));
        Assert.Equal(2, _lake.Scalar($"SELECT count(*) FROM read_parquet({_lake.CurrentFileList()})"));
    }

    [Fact]
    public void CompactAll_goes_partition_by_partition_and_stops_between_partitions_when_cancelled()
    {
        foreach (var (day, i) in new[] { (Day, 0), (Day.AddDays(1), 1), (Day.AddDays(2), 2) })
        {
            _lake.AddFile("s1", day, i * 100, i * 100 + 10, new TestRow($"x{i}", LakeTestBed.At(day, 1), LakeTestBed.At(day, 1)));
            _lake.AddFile("s1", day, i * 100 + 10, i * 100 + 20,
                new TestRow($"x{i}", LakeTestBed.At(day, 1), LakeTestBed.At(day, 2)), new TestRow($"y{i}", LakeTestBed.At(day, 3), LakeTestBed.At(day, 3)));
        }

        var compactor = new Compactor(_lake.Catalog, _lake.Layout, _lake.Time, new CompactionOptions());
        using var cancel = new CancellationTokenSource();
        compactor.BeforeCommit = _ => cancel.Cancel();

        var cancelled = compactor.CompactAll(_lake.Connection, cancel.Token);

        Assert.True(cancelled.Cancelled);
        var only = Assert.Single(cancelled.Results);
        Assert.Equal((Day, CompactionOutcome.Compacted), (only.EventDate, only.Outcome));
        Assert.Equal((1, 2, 1, 1L), (cancelled.Partitions, cancelled.FilesIn, cancelled.FilesOut, cancelled.DuplicatesDropped));
        Assert.Equal(5, _lake.Catalog.Current.Files.Count);

        compactor.BeforeCommit = null;
        var rest = compactor.CompactAll(_lake.Connection, CancellationToken.None);

        Assert.False(rest.Cancelled);
        Assert.Equal([Day.AddDays(1), Day.AddDays(2)], rest.Results.Select(r => r.EventDate));
        Assert.Equal((2, 4, 2, 2L, 0), (rest.Partitions, rest.FilesIn, rest.FilesOut, rest.DuplicatesDropped, rest.Skipped));
        Assert.Equal(3, _lake.Catalog.Current.Files.Count);
        Assert.Empty(compactor.Plan());
        Assert.Equal(6, _lake.Scalar($"SELECT count(*) FROM read_parquet({_lake.CurrentFileList()})"));
    }

    [Fact]
    public void A_reader_counting_over_any_snapshot_sees_every_row_exactly_once_while_compaction_swaps_files()
    {
        var days = new[] { Day, Day.AddDays(1), Day.AddDays(2) };
        long position = 0;
        foreach (var day in days)
        {
            for (var f = 0; f < 6; f++)
            {
                _lake.AddGeneratedFile("s1", day, position, position + 200, $"{day:MMdd}-{f}", 200);
                position += 200;
            }
        }

        const long expected = 3 * 6 * 200;
        var largest = _lake.Catalog.Current.Files.Max(f => f.Bytes);
        var options = new CompactionOptions { TargetFileBytes = largest * 5 / 2, SmallFileBytes = largest * 5 / 2 };
        var compactor = new Compactor(_lake.Catalog, _lake.Layout, _lake.Time, options);

        var gate = new object();
        long reads = 0;
        var done = false;
        Exception? readerError = null;
        var wrongCounts = new List<long>();
        var generationsSeen = new HashSet<long>();
        var reader = new Thread(() =>
        {
            try
            {
                using var connection = _lake.Database.Connect();
                while (!Volatile.Read(ref done))
                {
                    var snapshot = _lake.Catalog.Current;
                    var count = (long)connection.ExecuteScalar($"SELECT count(*) FROM read_parquet({_lake.FileList(snapshot)})")!;
                    lock (gate)
                    {
                        if (count != expected)
                        {
                            wrongCounts.Add(count);
                        }

                        generationsSeen.Add(snapshot.Generation);
                        reads++;
                        Monitor.PulseAll(gate);
                    }
                }
            }
            catch (Exception ex)
            {
                lock (gate)
                {
                    readerError = ex;
                    Monitor.PulseAll(gate);
                }
            }
        });

        // Makes the reader finish two reads from now: the second one starts after whatever happened before the call.
        void AwaitTwoReads()
        {
            lock (gate)
            {
                var target = reads + 2;
                while (reads < target && readerError is null)
                {
                    Assert.True(Monitor.Wait(gate, TimeSpan.FromSeconds(30)), "The reader stopped reading.");
                }
            }
        }

        var generationBefore = _lake.Catalog.Current.Generation;
        var replacedSnapshots = new List<CatalogSnapshot>();
        compactor.BeforeCommit = _ =>
        {
            replacedSnapshots.Add(_lake.Catalog.Current);
            AwaitTwoReads();
        };
        reader.Start();
        CompactionSummary summary;
        try
        {
            AwaitTwoReads();
            summary = compactor.CompactAll(_lake.Connection);
            AwaitTwoReads();
        }
        finally
        {
            Volatile.Write(ref done, true);
            reader.Join();
        }

        Assert.Null(readerError);
        Assert.Empty(wrongCounts);
        Assert.Equal(9, summary.Results.Count);
        Assert.All(summary.Results, r => Assert.Equal(CompactionOutcome.Compacted, r.Outcome));
        Assert.Equal(0, summary.DuplicatesDropped);
        // The reader read between every two commits, so it saw every generation from before the first to after the last.
        Assert.Equal(Enumerable.Range(0, 10).Select(i => generationBefore + i), generationsSeen.Order());
        Assert.Equal(9, _lake.Catalog.Current.Files.Count);
        Assert.Equal(18, _lake.Catalog.Current.PendingDeletes.Count);
        // However late it runs, a query planned from any replaced snapshot still reads every row once: the grace.
        Assert.All(replacedSnapshots, s => Assert.Equal(expected, _lake.Scalar($"SELECT count(*) FROM read_parquet({_lake.FileList(s)})")));

        _lake.Time.Advance(options.GracePeriod);
        Assert.Equal(18, LakeCleanup.SweepPendingDeletes(_lake.Catalog, _lake.Layout, _lake.Time.GetUtcNow()).Deleted.Count);
        Assert.Equal(expected, _lake.Scalar($"SELECT count(DISTINCT message_id) FROM read_parquet({_lake.CurrentFileList()})"));
        Assert.Equal(expected, _lake.Scalar($"SELECT count(*) FROM read_parquet({_lake.CurrentFileList()})"));
    }
}
