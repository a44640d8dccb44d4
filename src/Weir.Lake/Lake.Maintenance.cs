using System.Threading.Channels;
using Weir.DuckDb;
using Weir.Lake.Logging;
using Weir.Lake.Maintenance;

namespace Weir.Lake;

/// <summary>
/// Maintenance runs on one background task, one job at a time, so compaction, retention, sweeping and erasure never
/// race each other and use at most one core (DuckDB's COPY inside a job may use more; its thread count is the lake's).
/// </summary>
public sealed partial class Lake
{
    private readonly Channel<MaintenanceJob> _jobs = Channel.CreateUnbounded<MaintenanceJob>(new UnboundedChannelOptions { SingleReader = true });
    private Task? _maintenance;

    /// <summary>
    /// Compacts every partition that needs it now (on the maintenance task, after any job already queued) and returns
    /// what was done.
    /// </summary>
    public Task<CompactionSummary> CompactAsync(CancellationToken cancellationToken = default) =>
        RunMaintenanceAsync((lake, connection) => lake.Compact(connection, cancellationToken));

    /// <summary>Drops the partitions older than each site's retention now; returns what was dropped.</summary>
    public Task<RetentionResult> ApplyRetentionAsync() => RunMaintenanceAsync((lake, _) => lake.ApplyRetention());

    /// <summary>Deletes the replaced files whose grace period is over.</summary>
    public Task<SweepResult> SweepAsync() =>
        RunMaintenanceAsync((lake, _) => LakeCleanup.SweepPendingDeletes(lake._core.Catalog, lake._core.Layout, lake._core.Time.GetUtcNow()));

    private CompactionOptions CompactionOptions => new()
    {
        TargetFileBytes = _core.Options.TargetFileBytes,
        GracePeriod = _core.Options.GracePeriod,
    };

    private CompactionSummary Compact(DuckDbConnection connection, CancellationToken cancellationToken)
    {
        var compactor = new Compactor(_core.Catalog, _core.Layout, _core.Time, CompactionOptions, _core.Commit);
        var summary = compactor.CompactAll(connection, cancellationToken);
        if (summary.Results.Count > 0)
        {
            LakeLog.Compacted(_core.Logger, summary.Partitions, summary.FilesIn, summary.FilesOut, summary.DuplicatesDropped, (long)summary.Duration.TotalMilliseconds);
        }

        return summary;
    }

    private RetentionResult ApplyRetention()
    {
        if (_core.Options.RetentionDays is not { } retention)
        {
            return RetentionResult.None;
        }

        var result = Retention.Apply(_core.Catalog, retention, _core.Time.GetUtcNow(), _core.Options.GracePeriod);
        if (result.Partitions.Count > 0)
        {
            _core.Publish(_control);
            LakeLog.RetentionApplied(_core.Logger, result.Partitions.Count, result.Rows);
        }

        return result;
    }

    private void StartMaintenance() => _maintenance = Task.Run(() => MaintainAsync(_stop.Token));

    private async Task StopMaintenanceAsync()
    {
        _jobs.Writer.TryComplete();
        if (_maintenance is not null)
        {
            await _maintenance.ConfigureAwait(false);
        }
    }

    private Task<T> RunMaintenanceAsync<T>(Func<Lake, DuckDbConnection, T> work)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var job = new MaintenanceJob<T>(work);
        if (_maintenance is null)
        {
            // Not started (a tool such as `weir compact`): run here, on the caller's thread.
            lock (_jobs)
            {
                job.Run(this, _control);
            }
        }
        else
        {
            // Fails only once the lake is stopping.
            ObjectDisposedException.ThrowIf(!_jobs.Writer.TryWrite(job), this);
        }

        return job.Done.Task;
    }

    private async Task MaintainAsync(CancellationToken stop)
    {
        var reader = _jobs.Reader;
        var interval = _core.Options.MaintenanceInterval;
        var next = _core.Time.GetUtcNow() + interval;
        while (!stop.IsCancellationRequested)
        {
            while (reader.TryRead(out var job))
            {
                job.Run(this, _control);
            }

            if (_core.Options.BackgroundMaintenance && _core.Time.GetUtcNow() >= next)
            {
                RunPeriodic(stop);
                next = _core.Time.GetUtcNow() + interval;
            }

            try
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop);
                if (_core.Options.BackgroundMaintenance)
                {
                    var left = next - _core.Time.GetUtcNow();
                    wait.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
                }

                if (!await reader.WaitToReadAsync(wait.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                // The interval is up.
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        // Jobs queued before the stop still answer their callers.
        while (reader.TryRead(out var job))
        {
            job.Cancel();
        }
    }

    private void RunPeriodic(CancellationToken stop)
    {
        Try("sweeping replaced files", () => LakeCleanup.SweepPendingDeletes(_core.Catalog, _core.Layout, _core.Time.GetUtcNow()));
        Try("retention", ApplyRetention);
        Try("compaction", () => Compact(_control, stop));
    }

    private void Try<T>(string task, Func<T> work)
    {
        try
        {
            work();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The next run tries again; every step leaves the catalog consistent when it fails.
            LakeLog.MaintenanceFailed(_core.Logger, task, e);
        }
    }

    private abstract class MaintenanceJob
    {
        public abstract void Run(Lake lake, DuckDbConnection connection);

        public abstract void Cancel();
    }

    private sealed class MaintenanceJob<T>(Func<Lake, DuckDbConnection, T> work) : MaintenanceJob
    {
        public TaskCompletionSource<T> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Run(Lake lake, DuckDbConnection connection)
        {
            try
            {
                Done.TrySetResult(work(lake, connection));
            }
            catch (Exception e)
            {
                Done.TrySetException(e);
            }
        }

        public override void Cancel() => Done.TrySetCanceled();
    }
}
