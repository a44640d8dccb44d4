using System.Diagnostics;
using Weir.Lake;
using Weir.Lake.Maintenance;

namespace Weir.Demo;

/// <summary>What <see cref="DemoImport.RunAsync"/> did.</summary>
/// <param name="Events">Distinct events generated.</param>
/// <param name="LateEvents">Events received days after they happened.</param>
/// <param name="Duplicates">Second copies generated; <paramref name="DuplicatesDropped"/> of them were never written.</param>
/// <param name="DuplicatesDropped">Copies received before the recent window, dropped by the import as compaction would have.</param>
/// <param name="Visitors">Visitors made up.</param>
/// <param name="OnTime">The chunks' imports: each partition's one file.</param>
/// <param name="Late">The recent window's late events and copies: small second files in their partitions.</param>
/// <param name="Compaction">The compaction that merged the small files and dropped the recent copies.</param>
/// <param name="Chunks">How many ranges of days the traffic was generated and written in.</param>
/// <param name="Planning">The time the dry run took.</param>
/// <param name="Generation">The time spent generating into staging tables (overlapping the writing of the chunk before).</param>
/// <param name="Duration">The whole run.</param>
public sealed record DemoImportResult(
    long Events,
    long LateEvents,
    long Duplicates,
    long DuplicatesDropped,
    long Visitors,
    ImportResult OnTime,
    ImportResult Late,
    CompactionSummary Compaction,
    int Chunks,
    TimeSpan Planning,
    TimeSpan Generation,
    TimeSpan Duration);

/// <summary>
/// Generates demo traffic into a lake a few days at a time, so that memory stays bounded whatever the number of events:
/// each generator thread first plans its share (a dry run, see <see cref="DemoTrafficGenerator"/>), then for each range
/// of days appends that range's events to a staging table, which is imported (one file per partition) while the next
/// range is generated. Late events and retries that arrived within <see cref="DemoTrafficOptions.RecentWindow"/> go to
/// one more staging table, imported last as small second files, which compaction then merges, dropping the copies.
/// </summary>
/// <remarks>
/// Older retries are not written: compaction keeps the copy of a message id received first, which is always the
/// original, so the lake ends up with exactly the rows that writing everything and compacting would leave, without
/// rewriting every partition. A test compares the two.
/// </remarks>
public static class DemoImport
{
    /// <summary>Generates and imports the traffic of <paramref name="options"/> into <paramref name="lake"/>.</summary>
    public static async Task<DemoImportResult> RunAsync(Lake.Lake lake, DemoTrafficOptions options, DemoProgress? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lake);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var started = Stopwatch.GetTimestamp();
        progress?.Enter(DemoStage.Planning);
        var generators = new DemoTrafficGenerator[options.Threads];
        for (var part = 0; part < generators.Length; part++)
        {
            generators[part] = new DemoTrafficGenerator(options, part, options.Threads);
        }

        await RunPartsAsync(generators, generator => generator.Plan(cancellationToken), cancellationToken).ConfigureAwait(false);
        var planning = Stopwatch.GetElapsedTime(started);

        progress?.Enter(DemoStage.Generating);
        var prefix = "demo_" + Guid.NewGuid().ToString("N");
        var recentTable = prefix + "_recent";
        lake.CreateImportTable(recentTable);
        var chunks = Chunks(options);
        var generation = TimeSpan.Zero;
        var onTime = new ImportResult(0, 0, 0, TimeSpan.Zero);
        Task<ImportResult>? writing = null;
        try
        {
            for (var i = 0; i < chunks.Count; i++)
            {
                var (from, to) = chunks[i];
                var table = $"{prefix}_{i}";
                lake.CreateImportTable(table);
                var generating = Stopwatch.GetTimestamp();
                await RunPartsAsync(generators, generator =>
                {
                    using var connection = lake.Connect();
                    using var events = connection.CreateAppender(table);
                    using var recent = connection.CreateAppender(recentTable);
                    generator.Generate(from, to, events, recent, progress, cancellationToken);
                    events.Close();
                    recent.Close();
                }, cancellationToken).ConfigureAwait(false);
                generation += Stopwatch.GetElapsedTime(generating);

                // One range is written while the next is generated: two in memory at most, and both cores busy.
                if (writing is not null)
                {
                    onTime = Add(onTime, await writing.ConfigureAwait(false), progress);
                }

                writing = Task.Run(() => lake.ImportAsync(table, ImportWriters, cancellationToken), cancellationToken);
            }
        }
        catch
        {
            if (writing is not null)
            {
                // Not left running behind the error: the caller may dispose the lake next.
                await ((Task)writing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            throw;
        }

        onTime = Add(onTime, await writing!.ConfigureAwait(false), progress);
        progress?.Enter(DemoStage.Compacting);
        var late = await lake.ImportAsync(recentTable, ImportWriters, cancellationToken).ConfigureAwait(false);
        var compaction = await lake.CompactAsync(cancellationToken).ConfigureAwait(false);
        progress?.Enter(DemoStage.Done);
        long eventCount = 0, lateEvents = 0, duplicates = 0, dropped = 0, visitors = 0;
        foreach (var generator in generators)
        {
            eventCount += generator.Events;
            lateEvents += generator.LateEvents;
            duplicates += generator.Duplicates;
            dropped += generator.DuplicatesDropped;
            visitors += generator.Visitors;
        }

        return new DemoImportResult(eventCount, lateEvents, duplicates, dropped, visitors, onTime, late, compaction, chunks.Count,
            planning, generation, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Parallel partition writers of an import: one per core, as a small partition's COPY uses one thread.</summary>
    private static int ImportWriters => Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>
    /// Whole UTC days from the one the traffic starts in, a few at a time, so each range holds about
    /// <see cref="DemoTrafficOptions.EventsPerChunk"/> events and each partition is written once.
    /// </summary>
    internal static List<(DateTimeOffset From, DateTimeOffset To)> Chunks(DemoTrafficOptions options)
    {
        var start = options.End.AddDays(-options.Days);
        var day = new DateTimeOffset(start.UtcDateTime.Date, TimeSpan.Zero);
        var perDay = Math.Max(1.0, (double)options.Events / options.Days);
        var days = (int)Math.Clamp(Math.Ceiling(options.EventsPerChunk / perDay), 1, options.Days + 1);
        var chunks = new List<(DateTimeOffset, DateTimeOffset)>();
        for (var from = day; from < options.End; from = from.AddDays(days))
        {
            chunks.Add((from, from.AddDays(days)));
        }

        return chunks;
    }

    private static ImportResult Add(ImportResult total, ImportResult chunk, DemoProgress? progress)
    {
        progress?.AddWritten(chunk.Rows);
        return new ImportResult(total.Rows + chunk.Rows, total.Files + chunk.Files, total.Bytes + chunk.Bytes, total.Duration + chunk.Duration);
    }

    /// <summary>Runs <paramref name="work"/> for every generator at once, each on a thread of its own.</summary>
    private static Task RunPartsAsync(DemoTrafficGenerator[] generators, Action<DemoTrafficGenerator> work, CancellationToken cancellationToken)
    {
        var threads = new Task[generators.Length];
        for (var part = 0; part < generators.Length; part++)
        {
            var generator = generators[part];
            threads[part] = Task.Factory.StartNew(() => work(generator), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        return Task.WhenAll(threads);
    }
}
