using System.Collections.Immutable;
using Weir.DuckDb;
using Weir.Lake.Catalog;
using Weir.Lake.Parquet;

namespace Weir.Lake.Maintenance;

/// <summary>What became of one compaction group.</summary>
public enum CompactionOutcome
{
    /// <summary>The merged file replaced the inputs in the catalog; the inputs wait in the pending deletes.</summary>
    Compacted,

    /// <summary>
    /// An input left the catalog before the swap (erasure or retention rewrote or dropped it), so the merged file, which
    /// would have brought its rows back, was deleted and the catalog left alone. The next run plans again.
    /// </summary>
    SkippedInputsChanged,
}

/// <summary>One group's compaction: what went in, what came out, and what it cost.</summary>
/// <param name="SiteId">The partition's site.</param>
/// <param name="EventDate">The partition's date.</param>
/// <param name="Outcome">Whether the merged file was swapped in.</param>
/// <param name="Inputs">The inputs' paths, relative to the lake root as the catalog records them.</param>
/// <param name="Output">The merged file's path relative to the lake root; null when skipped, or when the inputs held no rows.</param>
/// <param name="RowsIn">The inputs' rows, duplicates included.</param>
/// <param name="RowsOut">The merged file's rows; 0 when skipped.</param>
/// <param name="DuplicatesDropped">Rows in − rows out: copies of a message id the merge did not keep; 0 when skipped.</param>
/// <param name="BytesIn">The inputs' size on disk.</param>
/// <param name="BytesOut">The merged file's size on disk; 0 when skipped.</param>
/// <param name="Duration">The time the merge and the commit took.</param>
public sealed record CompactionResult(
    string SiteId,
    DateOnly EventDate,
    CompactionOutcome Outcome,
    IReadOnlyList<string> Inputs,
    string? Output,
    long RowsIn,
    long RowsOut,
    long DuplicatesDropped,
    long BytesIn,
    long BytesOut,
    TimeSpan Duration);

/// <summary>What a <see cref="Compactor.CompactAll"/> run did.</summary>
/// <param name="Results">Every group, compacted or skipped, in the order they ran.</param>
/// <param name="Cancelled">True when the token stopped the run before every planned partition was done.</param>
/// <param name="Duration">The whole run's time.</param>
public sealed record CompactionSummary(IReadOnlyList<CompactionResult> Results, bool Cancelled, TimeSpan Duration)
{
    /// <summary>Partitions in which at least one group was compacted.</summary>
    public int Partitions => Results.Where(r => r.Outcome == CompactionOutcome.Compacted).Select(r => (r.SiteId, r.EventDate)).Distinct().Count();

    public int FilesIn => Results.Where(r => r.Outcome == CompactionOutcome.Compacted).Sum(r => r.Inputs.Count);

    public int FilesOut => Results.Count(r => r.Outcome == CompactionOutcome.Compacted && r.Output is not null);

    public long DuplicatesDropped => Results.Sum(r => r.DuplicatesDropped);

    public int Skipped => Results.Count(r => r.Outcome == CompactionOutcome.SkippedInputsChanged);
}

/// <summary>
/// Merges a partition's files (<see cref="CompactionPlanner"/>) into one and swaps it in: the merged file is written and
/// made durable first, then one catalog commit replaces the inputs with it, so a query planned from any snapshot sees
/// either the old files or the new one, never both and never neither. The inputs stay on disk as pending deletes for
/// <see cref="CompactionOptions.GracePeriod"/>, because a query that planned over the old snapshot may still read them;
/// <see cref="LakeCleanup.SweepPendingDeletes"/> deletes them afterwards.
/// </summary>
/// <remarks>
/// Runs on one thread with the connection it is given; a merge reads and writes whole files, so it belongs on the
/// background maintenance thread, not on a request. It is safe alongside the loader, erasure and retention: every
/// commit checks that its inputs are still in the catalog, and a merge that lost the race deletes its output.
/// </remarks>
public sealed class Compactor
{
    private readonly CatalogStore _store;
    private readonly LakeLayout _layout;
    private readonly TimeProvider _time;
    private readonly CompactionOptions _options;
    private readonly CatalogCommit _commit;
    private readonly PartitionFileWriter _writer;

    /// <param name="store">The lake's catalog.</param>
    /// <param name="layout">Where the lake's files are.</param>
    /// <param name="time">The clock for grace periods, file times and durations.</param>
    /// <param name="options">What to merge and how long replaced files stay.</param>
    /// <param name="commit">How to commit; <see cref="CatalogStore.Commit"/> when null (see <see cref="CatalogCommit"/>).</param>
    public Compactor(CatalogStore store, LakeLayout layout, TimeProvider time, CompactionOptions options, CatalogCommit? commit = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _store = store;
        _layout = layout;
        _time = time;
        _options = options;
        _commit = commit ?? MaintenanceCommon.CommitTo(store);
        _writer = new PartitionFileWriter(layout);
    }

    public CompactionOptions Options => _options;

    /// <summary>Called between the merge and the commit; tests use it to change the catalog at the worst moment.</summary>
    internal Action<CompactionGroup>? BeforeCommit { get; set; }

    /// <summary>The current plan: every group <see cref="CompactAll"/> would merge now.</summary>
    public IReadOnlyList<CompactionGroup> Plan() => CompactionPlanner.Plan(_store.Current, _options);

    /// <summary>
    /// Compacts every partition that needs it, one partition at a time, each planned again from the catalog as it is
    /// when its turn comes. <paramref name="cancellationToken"/> is checked between partitions; a cancelled run returns
    /// what it did so far with <see cref="CompactionSummary.Cancelled"/> set, and leaves nothing half done.
    /// </summary>
    public CompactionSummary CompactAll(DuckDbConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var started = _time.GetTimestamp();
        var results = new List<CompactionResult>();
        var partitions = Plan().Select(g => (g.SiteId, g.EventDate)).Distinct().ToList();
        foreach (var (siteId, eventDate) in partitions)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return new CompactionSummary(results, Cancelled: true, _time.GetElapsedTime(started));
            }

            results.AddRange(CompactPartition(connection, siteId, eventDate));
        }

        return new CompactionSummary(results, Cancelled: false, _time.GetElapsedTime(started));
    }

    /// <summary>Compacts one partition as planned from the current catalog: every group of it, in log order.</summary>
    public IReadOnlyList<CompactionResult> CompactPartition(DuckDbConnection connection, string siteId, DateOnly eventDate)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var results = new List<CompactionResult>();
        foreach (var group in CompactionPlanner.PlanPartition(_store.Current, siteId, eventDate, _options))
        {
            results.Add(Compact(connection, group));
        }

        return results;
    }

    /// <summary>
    /// Merges the group into <c>&lt;logStart&gt;-&lt;logEnd&gt;-c&lt;n&gt;.parquet</c> (sorted by time, one row per
    /// message id, the one received first) and swaps it in, if every input is still in the catalog; otherwise deletes
    /// what it wrote and reports <see cref="CompactionOutcome.SkippedInputsChanged"/>.
    /// </summary>
    public CompactionResult Compact(DuckDbConnection connection, CompactionGroup group)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(group);
        var started = _time.GetTimestamp();
        var snapshot = _store.Current;
        if (!MaintenanceCommon.AllListed(snapshot, group.Files))
        {
            return Skipped(group, started);
        }

        using var name = MaintenanceCommon.ReserveName(_layout, snapshot, group.SiteId, group.EventDate, group.LogStart, group.LogEnd, 'c');
        WrittenFile? written;
        try
        {
            var inputs = group.Files.Select(f => _layout.Absolute(f.Path)).ToList();
            written = _writer.Merge(connection, inputs, group.SiteId, group.EventDate, name.Name);
        }
        catch (Exception ex) when ((ex is DuckDbException or IOException) && !MaintenanceCommon.AllListed(_store.Current, group.Files))
        {
            // An input was erased (and deleted at once) while the merge read it: the race was lost, not an error.
            MaintenanceCommon.DeleteQuietly(name.Path);
            return Skipped(group, started);
        }
        catch
        {
            MaintenanceCommon.DeleteQuietly(name.Path);
            throw;
        }

        BeforeCommit?.Invoke(group);
        var now = _time.GetUtcNow();
        var output = written?.ToCatalogFile(name.Relative, group.LogStart, group.LogEnd, now);

        // A commit that throws may still have reached the disk (see CatalogStore.Commit), so the merged file is kept
        // then: the start-up cleanup deletes it if the catalog turns out not to name it.
        var committed = MaintenanceCommon.TryCommit(_commit, connection, current =>
            MaintenanceCommon.AllListed(current, group.Files) && !MaintenanceCommon.Named(current, name.Relative)
                ? Swap(current, group.Files, output, now + _options.GracePeriod)
                : null);
        if (committed is null)
        {
            MaintenanceCommon.DeleteQuietly(name.Path);
            return Skipped(group, started);
        }

        var rowsOut = written?.Rows ?? 0;
        return new CompactionResult(
            group.SiteId, group.EventDate, CompactionOutcome.Compacted, Paths(group), output?.Path,
            group.Rows, rowsOut, group.Rows - rowsOut, group.Bytes, written?.Bytes ?? 0, _time.GetElapsedTime(started));
    }

    /// <summary>
    /// The snapshot with <paramref name="inputs"/> replaced by <paramref name="output"/> (where the first input was, so
    /// the file list keeps its rough log order) and the inputs pending deletion after <paramref name="deleteAfter"/>.
    /// </summary>
    internal static CatalogSnapshot Swap(CatalogSnapshot current, IReadOnlyList<CatalogFile> inputs, CatalogFile? output, DateTimeOffset deleteAfter)
    {
        var replaced = MaintenanceCommon.Paths(inputs);
        var files = ImmutableArray.CreateBuilder<CatalogFile>(current.Files.Count - inputs.Count + 1);
        foreach (var file in current.Files)
        {
            if (!replaced.Contains(file.Path))
            {
                files.Add(file);
            }
            else if (output is not null)
            {
                files.Add(output);
                output = null;
            }
        }

        var pending = ImmutableArray.CreateBuilder<PendingDelete>(current.PendingDeletes.Count + inputs.Count);
        pending.AddRange(current.PendingDeletes);
        foreach (var input in inputs)
        {
            pending.Add(new PendingDelete { Path = input.Path, DeleteAfter = deleteAfter });
        }

        return current with { Files = files.ToImmutable(), PendingDeletes = pending.ToImmutable() };
    }

    private CompactionResult Skipped(CompactionGroup group, long started) =>
        new(group.SiteId, group.EventDate, CompactionOutcome.SkippedInputsChanged, Paths(group), null,
            group.Rows, 0, 0, group.Bytes, 0, _time.GetElapsedTime(started));

    private static ImmutableArray<string> Paths(CompactionGroup group) => [.. group.Files.Select(f => f.Path)];
}
