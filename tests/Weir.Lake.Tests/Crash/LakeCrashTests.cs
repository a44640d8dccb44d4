using System.Globalization;
using Weir.Lake.CrashChild;
using Weir.Lake.Loading;
using Weir.Lake.Maintenance;
using Weir.Log;
using Xunit.Abstractions;

namespace Weir.Lake.Tests.Crash;

/// <summary>
/// SIGKILL during flush, compaction and erasure: nothing is lost, and queries see no duplicates. A child process
/// (tests/Weir.Lake.CrashChild) works on one data folder and is killed at a moment a fixed seed chooses, after its n-th
/// line or as the n-th file of some kind is created, renamed into place or deleted; then it starts again on the same
/// folder and is killed again. After every kill the disk must be consistent (<see cref="CrashLake.CheckAfterKillAsync"/>);
/// after the last, the lake is opened here and checked event by event.
/// </summary>
public sealed class LakeCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killed_while_flushing_the_lake_keeps_every_acknowledged_event_once()
    {
        using var temp = new TempDirectory();
        var random = new Random(20260601);
        KillAt[] plan =
        [
            new(KillOn.Line, "acked ", random.Next(12, 20)), // appending and flushing, far enough for late copies
            new(KillOn.Created, ".parquet.tmp", random.Next(1, 40)), // a flush writing a partition's file
            new(KillOn.Renamed, ".parquet", random.Next(1, 40)), // a file durable, its flush not committed
            new(KillOn.Created, ".bin.tmp", random.Next(1, 4)), // the flush's de-duplication ids being written
            new(KillOn.Renamed, ".bin", random.Next(1, 4)), // those durable, the catalog not
            new(KillOn.Created, "catalog.json.tmp", random.Next(1, 4)), // the catalog being written
            new(KillOn.Renamed, "catalog.json", random.Next(1, 4)), // committed; the hot table and the log's checkpoint not yet
            new(KillOn.Line, "flushed ", random.Next(1, 3)),
            new(KillOn.Created, "lake.ckpt.tmp", random.Next(1, 3)), // the log's checkpoint being moved, after the commit
            new(KillOn.Created, ".parquet.tmp", random.Next(1, 40)),
        ];

        var acked = await RunAndKillAsync("flush", temp.Path, plan);

        await using var lake = await CrashLake.OpenAsync(temp.Path);
        await VerifyEventsAsync(lake, acked.Last, lateCopiesUnmerged: true);
    }

    [Fact]
    public async Task Killed_while_compacting_the_lake_keeps_every_acknowledged_event_once()
    {
        using var temp = new TempDirectory();
        var random = new Random(20260602);
        KillAt[] plan =
        [
            new(KillOn.Line, "compacted ", random.Next(4, 8)),
            new(KillOn.Created, ".parquet.tmp", random.Next(1, 20), "-c"), // a merge being written
            new(KillOn.Renamed, ".parquet", random.Next(1, 20), "-c"), // a merged file durable, its swap not committed
            new(KillOn.Deleted, ".parquet", random.Next(1, 40)), // sweeping the inputs; their removal not committed
            new(KillOn.Created, "catalog.json.tmp", random.Next(1, 12)),
            new(KillOn.Renamed, "catalog.json", random.Next(1, 12)),
            new(KillOn.Line, "acked ", random.Next(1, 6)),
            new(KillOn.Created, ".parquet.tmp", random.Next(1, 20), "-c"),
        ];

        var acked = await RunAndKillAsync("compact", temp.Path, plan);

        Assert.True(acked.FilesMerged > 0, "the child never compacted a file before it was killed");
        await using var lake = await CrashLake.OpenAsync(temp.Path);
        await VerifyEventsAsync(lake, acked.Last, lateCopiesUnmerged: false);
    }

    private const int ErasureEvents = 2400;
    private const int ErasureEventsLoaded = 2000;

    [Fact]
    public async Task Killed_while_erasing_the_lake_finishes_every_erasure_and_keeps_everybody_else()
    {
        using var temp = new TempDirectory();
        await PrepareErasureAsync(temp.Path);
        var random = new Random(20260603);
        KillAt[] plan =
        [
            new(KillOn.Line, "requested ", 1), // the job is on disk; it may have begun
            new(KillOn.Created, ".erase.tmp", random.Next(1, 10)), // a log segment or an archive being rewritten
            new(KillOn.Created, ".parquet.tmp", random.Next(1, 6), "-e"), // a file being rewritten without the person
            new(KillOn.Renamed, "catalog.json", random.Next(1, 6)), // a rewrite swapped in, the old file not yet deleted
            new(KillOn.Created, ".json.tmp", 1, "er_"), // the request being recorded, or a resumed job's end
            new(KillOn.Deleted, ".parquet", random.Next(1, 6)), // deleting replaced files
            new(KillOn.Renamed, ".wlog.gz", random.Next(1, 3)), // an archive rewritten
            new(KillOn.Created, ".parquet.tmp", random.Next(1, 12)), // the flush before the rewrite, or a rewrite
            KillAt.Never,
        ];

        // Each run asks to erase the next person; a request the child did not acknowledge is asked again, as a client would.
        var acknowledged = new HashSet<string>(StringComparer.Ordinal);
        var asked = 0;
        var interrupted = 0;
        foreach (var killAt in plan)
        {
            var index = asked;
            var person = CrashData.People[index];
            var child = await ChildRun.RunAsync("erase", temp.Path, person, killAt, mayEnd: true);
            if (child.Lines.Any(l => l.StartsWith("requested ", StringComparison.Ordinal)))
            {
                acknowledged.Add(person);
                asked++;
            }

            var finished = child.Lines.Any(l => l.StartsWith("erased ", StringComparison.Ordinal));
            interrupted += finished ? 0 : 1;
            var left = await CrashLake.CheckAfterKillAsync(temp.Path);
            output.WriteLine($"erase person {index}: {(child.Killed ? "killed at " + killAt : "ran to its end")}, {(finished ? "after" : "before")} the erasure finished: {string.Join(" / ", child.Lines)}; {left}");
        }

        Assert.True(interrupted >= plan.Length / 2, $"only {interrupted} of {plan.Length} kills came before the erasure finished");
        Assert.True(asked >= plan.Length / 2, $"only {asked} of {plan.Length} requests were acknowledged");

        await using var lake = await CrashLake.OpenAsync(temp.Path);
        foreach (var file in Directory.GetFiles(Path.Combine(lake.Lake.Layout.Root, "erasure"), "*.json"))
        {
            // Every job on disk ends, the interrupted ones resumed by this start.
            var job = await lake.Lake.WhenErasureFinishedAsync(Path.GetFileNameWithoutExtension(file)).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(ErasureStatus.Completed, job.Status);
        }

        var rows = lake.RowsPerPerson();
        var each = ErasureEvents / CrashData.People.Count;
        for (var i = 0; i < CrashData.People.Count; i++)
        {
            var person = CrashData.People[i];
            var left = rows.GetValueOrDefault(person);
            if (acknowledged.Contains(person))
            {
                Assert.True(left == 0, $"person {i}: the erasure was acknowledged, but {left} rows are left");
            }
            else if (i == asked)
            {
                // The last run was killed before it printed the job: the job may or may not have been recorded.
                Assert.True(left is 0 || left == each, $"person {i}: {left} of {each} rows are left");
            }
            else
            {
                Assert.Equal(each, left);
            }

            if (left == 0)
            {
                Assert.Empty(CrashLake.FilesContaining(temp.Path, person));
                Assert.Equal(0, lake.ReadFolder(person).OfPerson);
            }
        }

        // Everybody else's events, each once.
        var events = lake.RowsPerEvent();
        var kept = Enumerable.Range(0, ErasureEvents).Select(i => (long)i).Where(id => rows.GetValueOrDefault(CrashData.PersonOf(id)) > 0);
        Assert.Equal(kept, events.Keys.Order());
        Assert.All(events.Values, count => Assert.Equal(1, count));
        lake.AssertDiskMatchesCatalog(pendingDeletes: true);
    }

    [Fact]
    public async Task What_a_kill_leaves_of_a_catalog_commit_or_an_erasure_request_is_gone_once_the_lake_opens()
    {
        using var temp = new TempDirectory();
        var person = CrashData.People[3];
        await using (var log = DurableLog.Open(CrashData.LogOptions(temp.Path)))
        {
            await using var lake = Lake.Open(CrashData.LakeOptions(temp.Path), log);
            lake.Start();
            await log.AppendBatchAsync(CrashData.Records(0, 200, copies: false));
            await lake.WhenLoadedAsync(log.CommittedPosition);
            await lake.FlushAsync();
        }

        // A kill inside a durable write, after the temporary copy and before its rename (a window of two fsyncs, which
        // the kills above hit only by chance): a catalog commit's, and a request's to erase the person, which its caller
        // never saw accepted.
        var root = Path.Combine(temp.Path, "lake");
        await File.WriteAllTextAsync(Path.Combine(root, "catalog.json.tmp"), """{"format": 1, "generation": 9""");
        Directory.CreateDirectory(Path.Combine(root, "erasure"));
        await File.WriteAllTextAsync(Path.Combine(root, "erasure", "er_00112233445566ff.json.tmp"),
            $$"""{"id":"er_00112233445566ff","field":"user_id","status":"pending","requested_at":"2026-06-01T00:00:00+00:00","value":"{{person}}"}""");

        // Opening deletes both (CrashLake checks that no temporary file is left); then the caller asks again, and once
        // that erasure is done no byte of the person is left anywhere.
        await using var opened = await CrashLake.OpenAsync(temp.Path);
        var job = opened.Lake.RequestErasure(null, ErasureField.UserId, person);
        Assert.Equal(ErasureStatus.Completed, (await opened.Lake.WhenErasureFinishedAsync(job.Id).WaitAsync(TimeSpan.FromSeconds(60))).Status);
        Assert.Empty(CrashLake.FilesContaining(temp.Path, person));
        Assert.Equal(180, opened.RowsPerEvent().Count);
    }

    /// <summary>What the runs of a mode acknowledged, and did.</summary>
    /// <param name="Last">The last event acknowledged (events 0 to it were all acknowledged); −1 for none.</param>
    /// <param name="FilesMerged">Files the child's compactions merged (compact mode).</param>
    private sealed record Acknowledged(long Last, long FilesMerged);

    /// <summary>
    /// Runs the child in <paramref name="mode"/> once per kill of <paramref name="plan"/>, each run going on from the
    /// last acknowledged event, and checks the disk after each kill.
    /// </summary>
    private async Task<Acknowledged> RunAndKillAsync(string mode, string data, IReadOnlyList<KillAt> plan)
    {
        long last = -1, merged = 0;
        int temporary = 0, unlisted = 0;
        foreach (var killAt in plan)
        {
            var run = await ChildRun.RunAsync(mode, data, (last + 1).ToString(CultureInfo.InvariantCulture), killAt);
            Assert.True(run.Killed);
            foreach (var acked in run.Numbers("acked "))
            {
                Assert.Equal(last + CrashData.BatchSize, acked);
                last = acked;
            }

            merged += run.Numbers("compacted ").Sum();
            var left = await CrashLake.CheckAfterKillAsync(data);
            temporary += left.TemporaryFiles;
            unlisted += left.UnlistedFiles;
            output.WriteLine($"{mode}: killed at {killAt} after {run.Lines.Count} lines ({run.Lines.LastOrDefault()}); acknowledged up to {last}; {left}");
        }

        output.WriteLine($"{mode}: {plan.Count} kills left {temporary} temporary and {unlisted} uncommitted Parquet files for the next start to delete");
        return new Acknowledged(last, merged);
    }

    /// <summary>
    /// Checks the lake after the last kill: every acknowledged event is in <c>events</c>; nothing appears twice but late
    /// copies (which the loader's window lets through), and, once the lake has flushed and compacted, nothing at all;
    /// the files on disk are exactly the catalog's; and a separate reader of the folder sees the same rows.
    /// </summary>
    private async Task VerifyEventsAsync(CrashLake lake, long acked, bool lateCopiesUnmerged)
    {
        Assert.True(acked >= CrashData.LateCopyDistance, $"only events up to {acked} were acknowledged: too few for late copies");

        // A batch that reached the log without its "acked" line is loaded too (and its events were sent again by the next run).
        var lastSent = acked + CrashData.BatchSize;
        var late = new HashSet<long>();
        for (var id = 0L; id <= lastSent; id++)
        {
            if (CrashData.LateCopyOf(id) is >= 0 and var original)
            {
                late.Add(original);
            }
        }

        var before = lake.RowsPerEvent();
        var missing = new List<long>();
        for (var id = 0L; id <= acked; id++)
        {
            if (!before.ContainsKey(id))
            {
                missing.Add(id);
            }
        }

        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged events are not in the lake: {string.Join(", ", missing.Take(20))}");
        Assert.DoesNotContain(before.Keys, id => id > lastSent);
        var doubles = Describe(before.Where(r => r.Value > (late.Contains(r.Key) ? 2 : 1)));
        Assert.True(doubles.Length == 0, $"events appear more often than they were sent outside the de-duplication window (id × rows): {doubles}");
        var doubled = before.Count(r => r.Value > 1);
        if (lateCopiesUnmerged)
        {
            Assert.True(doubled > 0, "no late copy got past the loader's window: compaction had nothing to drop");
        }

        await lake.Lake.FlushAsync();
        var compaction = await lake.Lake.CompactAsync();
        await lake.Lake.SweepAsync();

        var after = lake.RowsPerEvent();
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        var notOnce = Describe(after.Where(r => r.Value != 1));
        Assert.True(notOnce.Length == 0, $"after compaction, events appear more than once (id × rows): {notOnce}");
        // Explained in full when it fails: this once failed in CI only (the watermark one batch short of the log's end).
        var state = string.Create(CultureInfo.InvariantCulture, $"{lake.OpenedAt}; now the log ends at {lake.Log.CommittedPosition}, the loader is at {lake.Lake.LoadedPosition}, ") +
            string.Create(CultureInfo.InvariantCulture, $"the watermark at {lake.Lake.Catalog.Watermark}, the log's checkpoint at {lake.Log.GetCheckpoint(LakeLoader.ConsumerName)}; " +
            $"loader {lake.Lake.Counters}; {lake.Warnings}");
        Assert.True(lake.Log.CommittedPosition == lake.Lake.Catalog.Watermark, state);
        Assert.True(lake.Lake.Catalog.Watermark == lake.Log.GetCheckpoint(LakeLoader.ConsumerName), state);
        lake.AssertDiskMatchesCatalog(pendingDeletes: false);
        var folder = lake.ReadFolder();
        Assert.Equal(after.Count, folder.Rows);
        Assert.Equal(after.Count, folder.Distinct);
        output.WriteLine($"{after.Count} events, up to {acked} acknowledged; {doubled} late copies before the last compaction, which dropped {compaction.DuplicatesDropped}");
    }

    private static string Describe(IEnumerable<KeyValuePair<long, long>> rows) =>
        string.Join(", ", rows.OrderBy(r => r.Key).Take(20).Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Key} × {r.Value}")));

    /// <summary>
    /// The erasure test's folder: events 0 to <see cref="ErasureEventsLoaded"/> in the lake, flushed in a few files and
    /// compacted (the inputs stay as pending deletes, holding everyone's rows), the log's older segments archived in the
    /// raw zone, and the rest of the events only in the log, for the child's loader.
    /// </summary>
    private static async Task PrepareErasureAsync(string data)
    {
        await using (var log = DurableLog.Open(CrashData.LogOptions(data)))
        {
            await using (var lake = Lake.Open(CrashData.LakeOptions(data) with { FlushRows = 100_000 }, log))
            {
                lake.Start();
                for (var first = 0; first < ErasureEventsLoaded; first += CrashData.BatchSize)
                {
                    await log.AppendBatchAsync(CrashData.Records(first, CrashData.BatchSize, copies: false));
                    if ((first + CrashData.BatchSize) % 800 == 0)
                    {
                        await lake.WhenLoadedAsync(log.CommittedPosition);
                        await lake.FlushAsync();
                    }

                    if (first + CrashData.BatchSize == 1600)
                    {
                        var compaction = await lake.CompactAsync();
                        Assert.True(compaction.FilesIn > 0);
                    }
                }

                await lake.WhenLoadedAsync(log.CommittedPosition);
            }

            for (var first = ErasureEventsLoaded; first < ErasureEvents; first += CrashData.BatchSize)
            {
                await log.AppendBatchAsync(CrashData.Records(first, CrashData.BatchSize, copies: false));
            }

            await log.RunRetentionAsync();
        }

        var holding = CrashLake.FilesContaining(data, CrashData.People[0]);
        Assert.Contains(holding, f => f.StartsWith("raw", StringComparison.Ordinal));
        Assert.Contains(holding, f => f.StartsWith("log", StringComparison.Ordinal));
    }
}
