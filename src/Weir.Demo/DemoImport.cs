using System.Diagnostics;
using Weir.Lake;
using Weir.Lake.Maintenance;

namespace Weir.Demo;

/// <summary>What <see cref="DemoImport.RunAsync"/> did.</summary>
public sealed record DemoImportResult(
    long Events,
    long LateEvents,
    long Duplicates,
    long Visitors,
    ImportResult OnTime,
    ImportResult Late,
    CompactionSummary Compaction,
    TimeSpan Generation,
    TimeSpan Duration);

/// <summary>
/// Generates demo traffic into a lake: each thread appends its share to two staging tables (on time, and late or
/// duplicated), the on-time rows are imported first, the late ones second (small files in old partitions, as a
/// real late arrival would leave them), and compaction merges those and drops the duplicates.
/// </summary>
public static class DemoImport
{
    /// <summary>Generates and imports the traffic of <paramref name="options"/> into <paramref name="lake"/>.</summary>
    public static async Task<DemoImportResult> RunAsync(Lake.Lake lake, DemoTrafficOptions options, DemoProgress? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lake);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var started = Stopwatch.GetTimestamp();
        var suffix = Guid.NewGuid().ToString("N");
        var onTimeTable = "demo_events_" + suffix;
        var lateTable = "demo_late_" + suffix;
        lake.CreateImportTable(onTimeTable);
        lake.CreateImportTable(lateTable);
        progress?.Enter(DemoStage.Generating);
        var generators = new DemoTrafficGenerator[options.Threads];
        var threads = new Task[options.Threads];
        for (var part = 0; part < generators.Length; part++)
        {
            var generator = generators[part] = new DemoTrafficGenerator(options, part, options.Threads);
            threads[part] = Task.Factory.StartNew(() =>
            {
                using var connection = lake.Connect();
                using var onTime = connection.CreateAppender(onTimeTable);
                using var late = connection.CreateAppender(lateTable);
                generator.Generate(onTime, late, progress, cancellationToken);
                onTime.Close();
                late.Close();
            }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        await Task.WhenAll(threads).ConfigureAwait(false);
        var generation = Stopwatch.GetElapsedTime(started);
        progress?.Enter(DemoStage.Writing);
        var onTimeResult = await lake.ImportAsync(onTimeTable, cancellationToken).ConfigureAwait(false);
        var lateResult = await lake.ImportAsync(lateTable, cancellationToken).ConfigureAwait(false);
        progress?.Enter(DemoStage.Compacting);
        var compaction = await lake.CompactAsync(cancellationToken).ConfigureAwait(false);
        progress?.Enter(DemoStage.Done);
        long events = 0, lateEvents = 0, duplicates = 0, visitors = 0;
        foreach (var generator in generators)
        {
            events += generator.Events;
            lateEvents += generator.LateEvents;
            duplicates += generator.Duplicates;
            visitors += generator.Visitors;
        }

        return new DemoImportResult(events, lateEvents, duplicates, visitors, onTimeResult, lateResult, compaction, generation, Stopwatch.GetElapsedTime(started));
    }
}
