using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Weir.DuckDb;
using Weir.Enrichment;
using Weir.Enrichment.Visitors;
using Weir.Lake;
using Weir.Lake.Catalog;
using Weir.Lake.Hot;
using Weir.Lake.Maintenance;
using Weir.Lake.Parquet;
using Weir.Log;
using WeirLake = Weir.Lake.Lake;

namespace Weir.Bench.Lake;

/// <summary>
/// <c>weir-bench lake</c>: the lake's loader, flush, storage and compaction, each against a reference measured in the
/// same run (see docs/performance.md). Everything happens in one temporary folder, deleted at the end.
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>Loader: page views are written to a <see cref="DurableLog"/>, then loaded by a lake that never flushes on its
/// own; events/s from <see cref="WeirLake.Start"/> until <see cref="WeirLake.WhenLoadedAsync"/> completes, against
/// reading the same log alone (and, to split the cost, reading and decoding, and reading, decoding and appending to a
/// hot table in a database of its own). Goal: at least 500 000 events/s.</item>
/// <item>Enrichment (issue 6): two running lakes, one with the loader's enricher and one without, fed the same page views
/// in rounds and timed in turns (<see cref="MeasureLoadersAsync"/>). Goal: with the enricher at least 0.90 of the rate
/// without.</item>
/// <item>Flush: <see cref="WeirLake.FlushAsync"/> of everything loaded, against DuckDB's own COPY of a copy of the hot
/// table to a zstd Parquet file sorted by time. Goal: COPY time / flush time at least 0.8.</item>
/// <item>Storage: bytes of the lake's files per event, and against the records' JSON. Goal: at most 25 B/event.</item>
/// <item>Compaction: a day of events loaded through a lake that flushes every 1/20 of the day, then
/// <see cref="WeirLake.CompactAsync"/> (which merges toward the lake's target file size), against DuckDB's COPY of the
/// same groups of files sorted by time. No goal.</item>
/// </list>
/// </remarks>
internal static class LakeSuite
{
    private const double LoaderGoal = 500_000;
    private const double FlushGoal = 0.8;
    private const double StorageGoal = 25;
    private const double EnrichmentGoal = 0.9;
    private const int EnrichmentRuns = 5;
    private const int LoaderEnrichmentRounds = 16;
    private const int LoaderRoundEvents = 200_000;
    private const int UncachedSample = 2_000;
    private const int ReadBatch = 4096;
    private const int AppendBatchBytes = 1 << 20;

    private static readonly DateOnly Day = new(2026, 5, 14);

    private static long _sink;

    public static async Task<int> RunAsync(LakeBenchOptions options)
    {
        var work = Directory.CreateTempSubdirectory("weir-bench-lake-");
        var goals = new GoalReport(options.Events);
        var table = new List<string[]>();
        Console.WriteLine($"Lake benchmark in {work.FullName}: {options.Events:N0} events, compaction of {options.CompactEvents:N0} events " +
            $"in {options.CompactFiles} files; {(options.WithContext ? "with" : "without")} analytics.js properties and context; " +
            $"{(options.TimeOrderedIds ? "UUIDv7" : "random")} message ids");
        var loadBefore = LoadAverage();
        Console.WriteLine($"Load average before: {loadBefore} (the figures need a machine that is otherwise idle)");
        try
        {
            await LoadFlushAndStoreAsync(options, Path.Combine(work.FullName, "load"), goals, table).ConfigureAwait(false);
            if (options.CompactEvents > 0)
            {
                await CompactAsync(options, Path.Combine(work.FullName, "compact"), goals, table).ConfigureAwait(false);
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }

        table.Add(["peak RSS (VmHWM)", $"{PeakRssBytes() / (1 << 20):N0} MB", "", "", ""]);
        goals.Print();
        PrintTable(table);
        Console.WriteLine($"Load average (1, 5, 15 min) before: {loadBefore}; after: {LoadAverage()}. Above {Environment.ProcessorCount}, other processes took CPU from the run: compare the cores busy.");
        return goals.AllMet || options.NoFail ? 0 : 1;
    }

    private static async Task LoadFlushAndStoreAsync(LakeBenchOptions options, string data, GoalReport goals, List<string[]> table)
    {
        var events = options.Events;
        var log = DurableLog.Open(new LogOptions { Directory = Path.Combine(data, "log") });
        await using var logScope = log.ConfigureAwait(false);
        var jsonBytes = await GenerateAndWriteAsync(log, events, seed: 1, options).ConfigureAwait(false);

        // References: the log read alone (the first of three warms up, the median counts), then read + decode, then
        // read + decode + append to a hot table of a database of its own.
        var reads = new List<Measured>();
        for (var i = 0; i < 3; i++)
        {
            reads.Add(Measure(() => Check(events, Pass(log, decode: false, hot: null))));
        }

        var read = reads.OrderBy(r => r.Wall).ElementAt(1);
        var decode = Measure(() => Check(events, Pass(log, decode: true, hot: null)));
        Measured append;
        using (var database = DuckDbDatabase.Open())
        using (var connection = database.Connect())
        {
            HotTable.Create(connection);
            using var appender = HotTable.CreateAppender(connection);
            var writer = new HotRowWriter(appender, HotDimensions.Open(connection));
            append = Measure(() =>
            {
                Check(events, Pass(log, decode: true, hot: writer));
                appender.Flush();
            });
        }

        // Enrichment (issue 6): the same pass with the loader's enricher, its caches on and off, each into a database of
        // its own; the enricher's data is read before, as a server reads it at start.
        var enrichment = EnrichmentData.Default;
        var salts = Directory.CreateTempSubdirectory("weir-bench-salts");
        var visitors = new VisitorIds(VisitorSalts.Open(salts.FullName));
        // Passes with and without enrichment take turns, and each keeps its best: a busy machine slows both alike.
        Measured? enrichedBest = null, plainBest = null, aloneBest = null, decodeBest = null;
        Measured cold;
        using (var scratch = DuckDbDatabase.Open())
        using (var connection = scratch.Connect())
        {
            // The caches as a running server has them: one enricher for every pass (a lane keeps its own for the
            // server's life), filled by a first pass that is timed on its own.
            var enricher = new EventEnricher(enrichment, visitors);
            cold = MeasurePass(log, events, () => enricher);
            var scratchColumns = new HotEnrichment(HotDimensions.Open(connection));
            for (var run = 0; run < EnrichmentRuns; run++)
            {
                enrichedBest = Best(enrichedBest, MeasurePass(log, events, () => enricher));
                plainBest = Best(plainBest, MeasurePass(log, events, null));
                // The enrichment's own cost: decoding with and without it, nothing appended.
                aloneBest = Best(aloneBest, Measure(() => Check(events, Pass(log, decode: true, hot: null, enrichOnly: (enricher, scratchColumns)))));
                decodeBest = Best(decodeBest, Measure(() => Check(events, Pass(log, decode: true, hot: null))));
            }
        }

        var (enriched, plain, enrichAlone, decodeWarm) = (enrichedBest!.Value, plainBest!.Value, aloneBest!.Value, decodeBest!.Value);
        // Without the caches every record parses its user agent afresh (milliseconds each): a sample is enough.
        var sample = Math.Min(events, UncachedSample);
        var uncached = MeasurePass(log, sample, () => new EventEnricher(enrichment, visitors, cached: false));
        // The goal's measure: the lake's loader itself (its lanes, de-duplication, making rows visible), from the log to
        // visible hot rows, as two running servers, one with the enricher and one without (see MeasureLoadersAsync).
        // Rounds of at most LoaderRoundEvents: enough rounds matter more than long ones.
        var loaderEvents = Math.Min(events, LoaderRoundEvents);
        var loaders = await MeasureLoadersAsync(Path.Combine(data, "loaders"), loaderEvents, options,
            () => new EventEnricher(enrichment, visitors)).ConfigureAwait(false);
        var (loaderWith, loaderWithout) = (loaders.With, loaders.Without);

        salts.Delete(recursive: true);

        Console.WriteLine($"  log read alone: {Rate(events, read)} ({Describe(read)}; runs {string.Join(", ", reads.Select(r => $"{r.Wall.TotalMilliseconds:0} ms"))})");
        Console.WriteLine($"  read + decode: {Rate(events, decode)} ({Describe(decode)})");
        Console.WriteLine($"  read + decode + append (own database): {Rate(events, append)} ({Describe(append)})");

        var enrichedRatio = plain.Wall / enriched.Wall;
        Console.WriteLine($"  read + decode + enrich (nothing appended, best of {EnrichmentRuns}): {Rate(events, enrichAlone)}; the enrichment alone {PerEventNs(enrichAlone.Wall - decodeWarm.Wall, events):0} ns/event (decoding alone: {Rate(events, decodeWarm)})");
        Console.WriteLine($"  read + decode + enrich + append: {Rate(events, enriched)} with the caches (best of {EnrichmentRuns}; the first pass, filling them: {Rate(events, cold)}), {Rate(sample, uncached)} without (first {sample:N0} events); {Rate(events, plain)} without enrichment");
        var loaderRatio = loaderWithout.Wall / loaderWith.Wall;
        var laneCount = new LakeOptions { DataDirectory = data }.LoaderThreads;
        Console.WriteLine($"  lake loader (best of {LoaderEnrichmentRounds} rounds, taking turns): {Rate(loaderEvents, loaderWith)} ({Describe(loaderWith)}) with enrichment, " +
            $"{Rate(loaderEvents, loaderWithout)} ({Describe(loaderWithout)}) without; each round's ratio: {string.Join(", ", loaders.Ratios.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))}, " +
            $"median {Median(loaders.Ratios):0.00}; the first round, whose enrichers start empty: {Rate(loaderEvents, loaders.FirstWith)} with, {Rate(loaderEvents, loaders.FirstWithout)} without");
        goals.Add($"Enrichment: the loader of a running lake (best of {LoaderEnrichmentRounds} rounds of {loaderEvents:N0} events; median of the rounds' ratios {Median(loaders.Ratios):0.00}) takes {Format(loaderEvents / loaderWith.Wall.TotalSeconds)} events/s from the log to visible hot rows with the enricher " +
            $"(warm caches) vs {Format(loaderEvents / loaderWithout.Wall.TotalSeconds)} events/s without; ratio {loaderRatio:0.00} (goal >= {EnrichmentGoal:0.00}). " +
            $"On one thread, decode + enrich + append: {Format(events / enriched.Wall.TotalSeconds)} events/s with the caches vs {Format(events / plain.Wall.TotalSeconds)} without " +
            $"({enrichedRatio:0.00}), {Format(sample / uncached.Wall.TotalSeconds)} events/s without the caches (the first {sample:N0} events)", loaderRatio >= EnrichmentGoal);
        table.Add([$"enrichment, the loader ({laneCount} lanes), best of {LoaderEnrichmentRounds} rounds of {loaderEvents:N0} events", $"{Format(loaderEvents / loaderWith.Wall.TotalSeconds)} events/s",
            $"no enrichment: {Format(loaderEvents / loaderWithout.Wall.TotalSeconds)} events/s", $"{loaderRatio:0.00}", Verdict(loaderRatio >= EnrichmentGoal, $">= {EnrichmentGoal:0.00}")]);
        table.Add([$"enrichment, one thread", $"{Format(events / enriched.Wall.TotalSeconds)} events/s (no caches: {Format(sample / uncached.Wall.TotalSeconds)})",
            $"no enrichment: {Format(events / plain.Wall.TotalSeconds)} events/s", $"{enrichedRatio:0.00}", "(information)"]);

        // The loader: from Start until everything the log holds is in the hot table and visible.
        var lakeOptions = new LakeOptions
        {
            DataDirectory = data,
            BackgroundMaintenance = false,
            FlushRows = int.MaxValue,
            FlushAge = TimeSpan.FromHours(1),
        };
        var lake = WeirLake.Open(lakeOptions, log);
        await using var lakeScope = lake.ConfigureAwait(false);
        Collect();
        var loaded = await MeasureAsync(async () =>
        {
            lake.Start();
            await lake.WhenLoadedAsync(log.CommittedPosition).ConfigureAwait(false);
        }).ConfigureAwait(false);
        if (lake.Counters.Loaded != events || lake.HotRows != events)
        {
            throw new InvalidOperationException($"The loader loaded {lake.Counters} ({lake.HotRows} hot rows), not {events} events.");
        }

        Console.WriteLine($"  lake loader, cold: {Rate(events, loaded)} ({Describe(loaded)})");
        var coldRate = events / loaded.Wall.TotalSeconds;
        var readRate = events / read.Wall.TotalSeconds;
        goals.Add($"Loader, cold (a new process, every page of the hot table touched for the first time): {Format(coldRate)} events/s " +
            $"({events:N0} events, {loaded.Cores:0.00} cores busy, {lakeOptions.LoaderThreads} lanes) (information)", met: true);
        var decodeNs = PerEventNs(decode.Wall - read.Wall, events);
        var appendNs = PerEventNs(append.Wall - decode.Wall, events);
        goals.Add($"Loader, where the time goes on one thread: read {PerEventNs(read.Wall, events):0} ns, decode {decodeNs:0} ns, " +
            $"append to a hot table of a database of its own {appendNs:0} ns per event; the loader splits decoding and appending between its lanes (no goal)", met: true);
        table.Add(["loader, per event on one thread", $"decode {decodeNs:0} ns + append {appendNs:0} ns", $"read {PerEventNs(read.Wall, events):0} ns", "", ""]);

        // What the lanes could reach at best: decoding and appending split perfectly over every lane, each on a core of
        // its own, and nothing else (de-duplication, making rows visible, waiting) costing anything.
        var ceiling = Math.Min(lakeOptions.LoaderThreads, Environment.ProcessorCount) * 1e9 / (decodeNs + appendNs);
        goals.Add($"Loader, ceiling from the figures above: {Format(ceiling)} events/s with decoding and appending split perfectly over " +
            $"{Math.Min(lakeOptions.LoaderThreads, Environment.ProcessorCount)} cores (no goal)", met: true);

        // Flush, against DuckDB's COPY of the same rows, copied first out of the hot table (which the flush empties).
        var columns = new PartitionFileWriter(lake.Layout).FileColumns;
        var referencePath = Path.Combine(ReferenceFolder(lake), "reference-flush.parquet");
        Measured copy, sync;
        using (var connection = lake.Connect())
        {
            connection.Execute($"CREATE TABLE bench_reference AS SELECT * FROM {HotTable.RowsView}");
            Collect();
            copy = Measure(() => connection.Execute(
                $"COPY (SELECT {columns} FROM bench_reference ORDER BY \"timestamp\") TO {Literal(referencePath)} (FORMAT parquet, COMPRESSION zstd)"));
            sync = Measure(() => SyncFile(referencePath));
            connection.Execute("DROP TABLE bench_reference");
        }

        Collect();
        long flushedRows = 0;
        var flush = await MeasureAsync(async () => flushedRows = await lake.FlushAsync().ConfigureAwait(false)).ConfigureAwait(false);
        if (flushedRows != events)
        {
            throw new InvalidOperationException($"The flush wrote {flushedRows} rows, not {events}.");
        }

        var snapshot = lake.Catalog;
        var flushRatio = copy.Wall / flush.Wall;
        Console.WriteLine($"  flush: {flush.Wall.TotalMilliseconds:0} ms ({Describe(flush)}), {snapshot.Files.Count} file(s); " +
            $"DuckDB COPY {copy.Wall.TotalMilliseconds:0} ms ({Describe(copy)}) + fsync {sync.Wall.TotalMilliseconds:0} ms");
        goals.Add($"Flush: {flush.Wall.TotalMilliseconds:0} ms for {events:N0} rows ({Format(events / flush.Wall.TotalSeconds)} rows/s, {snapshot.Files.Count} file(s)) vs " +
            $"{copy.Wall.TotalMilliseconds:0} ms for DuckDB's COPY (SELECT <file columns> FROM <copy of hot_events> ORDER BY timestamp) to zstd Parquet " +
            $"(+{sync.Wall.TotalMilliseconds:0} ms to fsync it); ratio copy/flush {flushRatio:0.00} (goal >= {FlushGoal:0.00})", flushRatio >= FlushGoal);
        table.Add([$"flush, {events:N0} rows", $"{flush.Wall.TotalMilliseconds:N0} ms", $"DuckDB COPY: {copy.Wall.TotalMilliseconds:N0} ms",
            $"{flushRatio:0.00}", Verdict(flushRatio >= FlushGoal, $">= {FlushGoal:0.00}")]);

        // Storage.
        var (rows, bytes) = Totals(snapshot.Files);
        var perEvent = bytes / (double)rows;
        var jsonPerEvent = jsonBytes / (double)events;
        var referenceBytes = new FileInfo(referencePath).Length;
        string breakdown;
        using (var connection = lake.Connect())
        {
            breakdown = ColumnBreakdown(connection, [.. snapshot.Files.Select(f => lake.Layout.Absolute(f.Path))], rows);
        }

        Console.WriteLine($"  storage by column (B/event): {breakdown}");
        goals.Add($"Storage: {perEvent:0.0} B/event in the lake's files ({bytes:N0} B for {rows:N0} events) vs {jsonPerEvent:0} B/event of JSON in the log: " +
            $"{100 * perEvent / jsonPerEvent:0.0} % (DuckDB's COPY: {referenceBytes / (double)rows:0.0} B/event) (goal <= {StorageGoal:0} B/event)", perEvent <= StorageGoal);
        table.Add(["storage after the flush", $"{perEvent:0.0} B/event", $"JSON: {jsonPerEvent:0} B/event", $"{perEvent / jsonPerEvent:0.000}",
            Verdict(perEvent <= StorageGoal, $"<= {StorageGoal:0} B/event")]);
        table.Add(["storage by column", breakdown, "", "", ""]);

        // The loader as it runs in a server, after a flush: the same number of new events, written while the loader is
        // held between two batches, then loaded from the moment it is let go until all are visible.
        Measured warm;
        using (var held = await HeldLoader.HoldAsync(log, lake).ConfigureAwait(false))
        {
            await GenerateAndWriteAsync(log, events, seed: 3, options).ConfigureAwait(false);
            warm = await held.ReleaseAndLoadAsync(events).ConfigureAwait(false);
        }

        var loaderRate = events / warm.Wall.TotalSeconds;
        Console.WriteLine($"  lake loader, after a flush: {Rate(events, warm)} ({Describe(warm)})");
        goals.Add($"Loader: {Format(loaderRate)} events/s from the log to the hot table after a flush, as in a running server ({events:N0} events, " +
            $"{warm.Cores:0.00} cores busy, {lakeOptions.LoaderThreads} lanes) vs {Format(readRate)} events/s for reading the same log alone; " +
            $"ratio {loaderRate / readRate:0.00}; cold {Format(coldRate)} events/s (goal >= {Format(LoaderGoal)} events/s)", loaderRate >= LoaderGoal);
        table.Add([$"loader, {events:N0} events, after a flush", $"{Format(loaderRate)} events/s ({warm.Cores:0.0} cores)",
            $"log read alone: {Format(readRate)} events/s", $"{loaderRate / readRate:0.00}", Verdict(loaderRate >= LoaderGoal, $">= {Format(LoaderGoal)} events/s")]);
        table.Add([$"loader, {events:N0} events, cold", $"{Format(coldRate)} events/s ({loaded.Cores:0.0} cores)", "", "", "information"]);
    }

    /// <summary>
    /// Where the reference COPYs write: inside the lake's folder, the only one its database may write to (see
    /// docs/query.md, "SQL sandbox"), but outside <c>events/</c>, so the lake never takes them for its own files.
    /// </summary>
    private static string ReferenceFolder(Weir.Lake.Lake lake) => Directory.CreateDirectory(Path.Combine(lake.Layout.Root, "bench-reference")).FullName;

    private static async Task CompactAsync(LakeBenchOptions options, string data, GoalReport goals, List<string[]> table)
    {
        var events = options.CompactEvents;
        var log = DurableLog.Open(new LogOptions { Directory = Path.Combine(data, "log") });
        await using var logScope = log.ConfigureAwait(false);
        var lakeOptions = new LakeOptions
        {
            DataDirectory = data,
            BackgroundMaintenance = false,
            FlushRows = Math.Max(1, (int)Math.Ceiling(events / (double)options.CompactFiles)),
            FlushAge = TimeSpan.FromHours(1),
        };
        var lake = WeirLake.Open(lakeOptions, log);
        await using var lakeScope = lake.ConfigureAwait(false);

        // The lake loads (and flushes every 1/N of the day) while the log is written.
        lake.Start();
        var built = Stopwatch.StartNew();
        await GenerateAndWriteAsync(log, events, seed: 2, options).ConfigureAwait(false);
        await lake.WhenLoadedAsync(log.CommittedPosition).ConfigureAwait(false);
        await lake.FlushAsync().ConfigureAwait(false);
        var files = lake.Catalog.FilesOf(PageViews.SiteId, Day);
        var (rows, bytes) = Totals(files);
        if (rows != events || lake.Catalog.Files.Count != files.Count)
        {
            throw new InvalidOperationException($"Expected {events} rows in one partition; the catalog has {rows} in {files.Count} of {lake.Catalog.Files.Count} files.");
        }

        Console.WriteLine($"  written and loaded in {built.Elapsed.TotalSeconds:0.0} s: {files.Count} files, {bytes / (double)rows:0.0} B/event");

        // The reference first: DuckDB's COPY of each group of files that compaction is going to merge (the lake's
        // TargetFileBytes decides the groups: one for a day that fits in it, several otherwise).
        var groups = CompactionPlanner.Plan(lake.Catalog, new CompactionOptions { TargetFileBytes = lakeOptions.TargetFileBytes });
        Measured copy;
        using (var connection = lake.Connect())
        {
            Collect();
            copy = Measure(() =>
            {
                for (var g = 0; g < groups.Count; g++)
                {
                    var inputs = string.Join(", ", groups[g].Files.Select(f => Literal(lake.Layout.Absolute(f.Path))));
                    connection.Execute($"COPY (SELECT * FROM read_parquet([{inputs}]) ORDER BY \"timestamp\") " +
                        $"TO {Literal(Path.Combine(ReferenceFolder(lake), $"reference-compaction-{g}.parquet"))} (FORMAT parquet, COMPRESSION zstd)");
                }
            });
        }

        Console.WriteLine($"  DuckDB COPY of the {files.Count} files in {groups.Count} group(s): {copy.Wall.TotalMilliseconds:0} ms ({Describe(copy)})");

        Collect();
        CompactionSummary? summary = null;
        var compact = await MeasureAsync(async () => summary = await lake.CompactAsync().ConfigureAwait(false)).ConfigureAwait(false);
        if (summary is null || summary.FilesIn != groups.Sum(g => g.Files.Count) || summary.Skipped != 0
            || summary.Results.Sum(r => r.RowsOut) != groups.Sum(g => g.Rows))
        {
            throw new InvalidOperationException($"Compaction did not do what was planned ({groups.Count} groups of {groups.Sum(g => g.Files.Count)} files): {summary}.");
        }

        var (rowsAfter, bytesAfter) = Totals(lake.Catalog.FilesOf(PageViews.SiteId, Day));
        var filesAfter = lake.Catalog.FilesOf(PageViews.SiteId, Day).Count;
        var ratio = copy.Wall / compact.Wall;
        var before = bytes / (double)rows;
        var after = bytesAfter / (double)rowsAfter;
        Console.WriteLine($"  compaction: {compact.Wall.TotalMilliseconds:0} ms ({Describe(compact)}), {summary.FilesIn} files into {summary.FilesOut}");
        goals.Add($"Compaction (Lake.CompactAsync): {compact.Wall.TotalSeconds:0.0} s for a day of {events:N0} events in {files.Count} files, merged into {summary.FilesOut} " +
            $"({Format(events / compact.Wall.TotalSeconds)} rows/s, {compact.Cores:0.0} cores busy) vs {copy.Wall.TotalSeconds:0.0} s for DuckDB's " +
            $"COPY (SELECT * FROM read_parquet([files]) ORDER BY timestamp) of the same groups; ratio copy/compaction {ratio:0.00} (no goal)", met: true);
        goals.Add($"Storage after compaction: {after:0.0} B/event in {filesAfter} file(s) vs {before:0.0} B/event in {files.Count} files before (no goal)", met: true);
        table.Add([$"compaction, {events:N0} events, {files.Count} files into {summary.FilesOut}", $"{compact.Wall.TotalSeconds:0.0} s",
            $"DuckDB COPY: {copy.Wall.TotalSeconds:0.0} s", $"{ratio:0.00}", "none"]);
        table.Add(["storage after compaction", $"{after:0.0} B/event", $"{before:0.0} B/event in {files.Count} files", $"{after / before:0.00}", ""]);
    }

    /// <summary>Writes <paramref name="events"/> page views to the log; returns the bytes of their JSON.</summary>
    private static async Task<long> GenerateAndWriteAsync(DurableLog log, int events, int seed, LakeBenchOptions options)
    {
        var started = Stopwatch.StartNew();
        var views = new PageViews(events, Day, seed, options.WithContext, options.TimeOrderedIds);
        Console.WriteLine($"Generating {events:N0} page views of {Day:yyyy-MM-dd} ({views.Visitors:N0} visitors), planned in {started.Elapsed.TotalSeconds:0.0} s...");
        var bytes = await WriteAsync(log, views).ConfigureAwait(false);
        Console.WriteLine($"  written to the log in {started.Elapsed.TotalSeconds:0.0} s: {bytes / (double)events:0} B of JSON per record on average");
        return bytes;
    }

    /// <summary>
    /// Writes every record durably, one batch of about 1 MiB at a time, while the next chunk of records is built on the
    /// other threads. Returns the bytes of their JSON.
    /// </summary>
    /// <remarks>
    /// One append in flight at a time keeps the log busy enough here. Several 1 MiB batches in flight (more than the
    /// log's 4 MiB group-commit buffer holds) once showed that DurableLog acknowledged appends it never wrote, fixed in
    /// 86db8d0 with a test of its own; the record count is still checked afterwards.
    /// </remarks>
    private static async Task<long> WriteAsync(DurableLog log, PageViews views)
    {
        const int Chunk = 16_384;
        var before = log.GetStatistics().RecordsAppended;
        long bytes = 0;
        var next = Task.Run(() => Build(views, 0, Math.Min(Chunk, views.Count)));
        for (var start = 0; start < views.Count; start += Chunk)
        {
            var chunk = await next.ConfigureAwait(false);
            var following = start + Chunk;
            next = following < views.Count
                ? Task.Run(() => Build(views, following, Math.Min(Chunk, views.Count - following)))
                : Task.FromResult(Array.Empty<ReadOnlyMemory<byte>>());
            var first = 0;
            var size = 0;
            for (var i = 0; i <= chunk.Length; i++)
            {
                if (i == chunk.Length || (i > first && size + chunk[i].Length + 64 > AppendBatchBytes))
                {
                    await log.AppendBatchAsync(chunk.AsMemory(first, i - first)).ConfigureAwait(false);
                    first = i;
                    size = 0;
                }

                if (i < chunk.Length)
                {
                    size += chunk[i].Length + 64;
                    bytes += chunk[i].Length;
                }
            }
        }

        var appended = log.GetStatistics().RecordsAppended - before;
        return appended == views.Count ? bytes : throw new InvalidOperationException($"The log holds {appended} of the {views.Count} records it acknowledged.");
    }

    private static ReadOnlyMemory<byte>[] Build(PageViews views, int start, int count)
    {
        var records = new ReadOnlyMemory<byte>[count];
        Parallel.For(0, count, i => records[i] = views.Record(start + i));
        return records;
    }

    /// <summary>
    /// The loaders of two lakes as two running servers, each on a log of its own: one with the enricher from
    /// <paramref name="enricher"/> (one per lane, kept for the lake's life), one without. Each round writes the same
    /// <paramref name="events"/> new page views to both logs while their loaders are held, then lets each go in turn
    /// (the first alternating) and times it until every event is a visible hot row, and then flushes both (untimed), as
    /// a server does. The first round, whose enrichers start empty and whose lakes are new, is reported apart; of the
    /// others each side's best counts, and each round's ratio is shown.
    /// </summary>
    /// <remarks>
    /// Long-lived lakes taking turns separate a cost of a few percent from this VM's noise better than new lakes per
    /// run did: a new lake's first pages (faulted in by the kernel) made its rate vary by a third from run to run.
    /// </remarks>
    private static async Task<LoaderComparison> MeasureLoadersAsync(string folder, int events, LakeBenchOptions options, Func<IHotRowEnricher> enricher)
    {
        var (withLog, withLake) = OpenRunningLake(Path.Combine(folder, "with"), enricher);
        await using var withLogScope = withLog.ConfigureAwait(false);
        await using var withLakeScope = withLake.ConfigureAwait(false);
        var (withoutLog, withoutLake) = OpenRunningLake(Path.Combine(folder, "without"), enricher: null);
        await using var withoutLogScope = withoutLog.ConfigureAwait(false);
        await using var withoutLakeScope = withoutLake.ConfigureAwait(false);
        Measured? bestWith = null, bestWithout = null;
        Measured firstWith = default, firstWithout = default;
        var ratios = new List<double>();
        for (var round = 0; round <= LoaderEnrichmentRounds; round++)
        {
            var views = new PageViews(events, Day, seed: 100 + round, options.WithContext, options.TimeOrderedIds);
            using var heldWith = await HeldLoader.HoldAsync(withLog, withLake).ConfigureAwait(false);
            await WriteAsync(withLog, views).ConfigureAwait(false);
            using var heldWithout = await HeldLoader.HoldAsync(withoutLog, withoutLake).ConfigureAwait(false);
            await WriteAsync(withoutLog, views).ConfigureAwait(false);
            Measured timedWith, timedWithout;
            if (round % 2 == 0)
            {
                timedWithout = await heldWithout.ReleaseAndLoadAsync(events).ConfigureAwait(false);
                timedWith = await heldWith.ReleaseAndLoadAsync(events).ConfigureAwait(false);
            }
            else
            {
                timedWith = await heldWith.ReleaseAndLoadAsync(events).ConfigureAwait(false);
                timedWithout = await heldWithout.ReleaseAndLoadAsync(events).ConfigureAwait(false);
            }

            await FlushEverythingAsync(withLake, events).ConfigureAwait(false);
            await FlushEverythingAsync(withoutLake, events).ConfigureAwait(false);
            if (round == 0)
            {
                (firstWith, firstWithout) = (timedWith, timedWithout);
                continue;
            }

            bestWith = Best(bestWith, timedWith);
            bestWithout = Best(bestWithout, timedWithout);
            ratios.Add(timedWithout.Wall / timedWith.Wall);
        }

        return new LoaderComparison(bestWith!.Value, bestWithout!.Value, firstWith, firstWithout, ratios);
    }

    private readonly record struct LoaderComparison(Measured With, Measured Without, Measured FirstWith, Measured FirstWithout, List<double> Ratios);

    /// <summary>A started lake on a log of its own in <paramref name="folder"/>, which flushes only when told to.</summary>
    private static (DurableLog Log, WeirLake Lake) OpenRunningLake(string folder, Func<IHotRowEnricher>? enricher)
    {
        var log = DurableLog.Open(new LogOptions { Directory = Path.Combine(folder, "log") });
        var lake = WeirLake.Open(new LakeOptions
        {
            DataDirectory = folder,
            BackgroundMaintenance = false,
            FlushRows = int.MaxValue,
            FlushAge = TimeSpan.FromHours(1),
            Enricher = enricher,
        }, log);
        lake.Start();
        return (log, lake);
    }

    private static async Task FlushEverythingAsync(WeirLake lake, int events)
    {
        var rows = await lake.FlushAsync().ConfigureAwait(false);
        if (rows != events)
        {
            throw new InvalidOperationException($"The flush wrote {rows} rows, not {events}.");
        }
    }

    /// <summary>
    /// A lake's loader held between two batches (as a running server's is while records arrive), until
    /// <see cref="ReleaseAndLoadAsync"/> lets it go and times it; disposing lets it go untimed.
    /// </summary>
    private sealed class HeldLoader : IDisposable
    {
        private readonly DurableLog _log;
        private readonly WeirLake _lake;
        private readonly ManualResetEventSlim _release = new();
        private Task _hold = Task.CompletedTask;

        private HeldLoader(DurableLog log, WeirLake lake)
        {
            _log = log;
            _lake = lake;
        }

        /// <summary>Returns once the loader is held; records written to <paramref name="log"/> from then on wait for the release.</summary>
        public static async Task<HeldLoader> HoldAsync(DurableLog log, WeirLake lake)
        {
            var loader = new HeldLoader(log, lake);
            var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            loader._hold = lake.RunOnLoaderAsync(_ =>
            {
                held.SetResult();
                loader._release.Wait();
            });
            await held.Task.ConfigureAwait(false);
            return loader;
        }

        /// <summary>From letting the loader go until all it was held from is visible; checks that it was <paramref name="events"/> events.</summary>
        public async Task<Measured> ReleaseAndLoadAsync(int events)
        {
            var loadedBefore = _lake.Counters.Loaded;
            Collect();
            var measured = await MeasureAsync(async () =>
            {
                _release.Set();
                await _hold.ConfigureAwait(false);
                await _lake.WhenLoadedAsync(_log.CommittedPosition).ConfigureAwait(false);
            }).ConfigureAwait(false);
            if (_lake.Counters.Loaded - loadedBefore != events || _lake.HotRows != events)
            {
                throw new InvalidOperationException($"The loader loaded {_lake.Counters.Loaded - loadedBefore} ({_lake.HotRows} hot rows), not {events} events.");
            }

            return measured;
        }

        public void Dispose()
        {
            _release.Set();
            // A loader still waking from the wait (when a step failed before the release) must not find it disposed.
            if (_hold.IsCompleted)
            {
                _release.Dispose();
            }
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static Measured Best(Measured? best, Measured measured) => best is null || measured.Wall < best.Value.Wall ? measured : best.Value;

    /// <summary>A pass that decodes and appends every record into a new database, with an enricher from <paramref name="enricher"/> or none.</summary>
    private static Measured MeasurePass(DurableLog log, int events, Func<IHotRowEnricher>? enricher)
    {
        using var database = DuckDbDatabase.Open();
        using var connection = database.Connect();
        HotTable.Create(connection);
        using var appender = HotTable.CreateAppender(connection);
        var writer = new HotRowWriter(appender, HotDimensions.Open(connection), enricher?.Invoke());
        Collect();
        return Measure(() =>
        {
            Check(events, Pass(log, decode: true, hot: writer, limit: events));
            appender.Flush();
        });
    }

    /// <summary>Reads the whole log in batches of 4096 (the loader's), touching every payload; optionally decodes and appends it.</summary>
    private static long Pass(DurableLog log, bool decode, HotRowWriter? hot, long limit = long.MaxValue, (IHotRowEnricher Enricher, HotEnrichment Columns)? enrichOnly = null)
    {
        using var reader = log.OpenReader(log.StartPosition);
        using var decoder = new RecordDecoder();
        long records = 0, check = 0;
        while (true)
        {
            var batch = reader.Read(ReadBatch);
            if (batch.Count == 0 || records >= limit)
            {
                break;
            }

            foreach (var record in batch)
            {
                if (records >= limit)
                {
                    break;
                }

                // The reader has checked each frame's CRC, so every byte was read; the first and last are enough here.
                var payload = record.Payload.Span;
                check += payload.Length + payload[0] + payload[^1];
                if (decode)
                {
                    if (!decoder.TryDecode(payload, out var decoded, out var error))
                    {
                        throw new InvalidOperationException($"Record at {record.Position} refused: {error}");
                    }

                    hot?.Append(in decoded, record.Position);
                    if (enrichOnly is var (enricher, columns))
                    {
                        columns.Clear();
                        enricher.Enrich(in decoded, columns);
                    }
                }

                records++;
            }
        }

        _sink += check;
        return records;
    }

    /// <summary>B/event of each column's compressed chunks in the files (the biggest first) and of the files' footers.</summary>
    private static string ColumnBreakdown(DuckDbConnection connection, IReadOnlyList<string> files, long rows)
    {
        var list = string.Join(", ", files.Select(Literal));
        var parts = new List<string>();
        long columnBytes = 0;
        using (var result = connection.Query(
            $"SELECT path_in_schema, sum(total_compressed_size)::BIGINT AS bytes FROM parquet_metadata([{list}]) GROUP BY ALL ORDER BY bytes DESC"))
        {
            while (result.NextChunk() is { } chunk)
            {
                using (chunk)
                {
                    var names = chunk.GetVector(0);
                    var sizes = chunk.GetVector(1).GetValues<long>();
                    for (var i = 0; i < chunk.RowCount; i++)
                    {
                        columnBytes += sizes[i];
                        if (sizes[i] / (double)rows >= 0.05)
                        {
                            parts.Add($"{names.GetString(i)} {sizes[i] / (double)rows:0.0}");
                        }
                    }
                }
            }
        }

        var total = files.Sum(f => new FileInfo(f).Length);
        parts.Add($"other columns and footers {(total - columnBytes) / (double)rows:0.0}");
        return string.Join(", ", parts);
    }

    private static (long Rows, long Bytes) Totals(IReadOnlyList<CatalogFile> files) => (files.Sum(f => f.Rows), files.Sum(f => f.Bytes));

    private static void Check(long expected, long actual)
    {
        if (actual != expected)
        {
            throw new InvalidOperationException($"Read {actual} records, expected {expected}.");
        }
    }

    private static void SyncFile(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Flush(flushToDisk: true);
    }

    private static Measured Measure(Action action)
    {
        var cpu = Environment.CpuUsage.TotalTime;
        var started = Stopwatch.GetTimestamp();
        action();
        return new Measured(Stopwatch.GetElapsedTime(started), Environment.CpuUsage.TotalTime - cpu);
    }

    private static async Task<Measured> MeasureAsync(Func<Task> action)
    {
        var cpu = Environment.CpuUsage.TotalTime;
        var started = Stopwatch.GetTimestamp();
        await action().ConfigureAwait(false);
        return new Measured(Stopwatch.GetElapsedTime(started), Environment.CpuUsage.TotalTime - cpu);
    }

    /// <summary>Garbage left by generation and earlier steps is collected before a step, not charged to it.</summary>
    private static void Collect()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static double PerEventNs(TimeSpan time, long events) => time.TotalMilliseconds * 1e6 / events;

    private static string Rate(long events, Measured measured) => $"{Format(events / measured.Wall.TotalSeconds)} events/s";

    private static string Describe(Measured measured) =>
        $"{measured.Wall.TotalMilliseconds:0} ms, CPU {measured.Cpu.TotalMilliseconds:0} ms = {measured.Cores:0.00} cores";

    private static string Format(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Verdict(bool met, string goal) => $"{goal}: {(met ? "MET" : "MISS")}";

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static long PeakRssBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    private static void PrintTable(List<string[]> rows)
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (double)(1L << 30);
        Console.WriteLine();
        Console.WriteLine($"## Lake: {Environment.ProcessorCount} cores ({cpu}), {memory:0} GiB, {RuntimeInformation.FrameworkDescription}, DuckDB {DuckDbDatabase.LibraryVersion}");
        Console.WriteLine("| measure | Weir | reference (same run) | ratio | goal |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var row in rows)
        {
            Console.WriteLine("| " + string.Join(" | ", row) + " |");
        }
    }

    private readonly record struct Measured(TimeSpan Wall, TimeSpan Cpu)
    {
        public double Cores => Cpu / Wall;
    }
}
