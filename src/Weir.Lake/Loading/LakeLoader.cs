using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using Weir.DuckDb;
using Weir.Lake.Catalog;
using Weir.Lake.Hot;
using Weir.Lake.Logging;
using Weir.Lake.Parquet;
using Weir.Lake.Query;
using Weir.Log;

namespace Weir.Lake.Loading;

/// <summary>
/// The log consumer <c>lake</c>: decodes records, drops duplicates within the window, counts the schema, appends rows
/// to the hot table and flushes them to Parquet. Everything that changes the hot table runs on the loader's one
/// thread of control, so other parts of the lake ask it to do work through <see cref="InvokeAsync"/>.
/// </summary>
/// <remarks>
/// A flush writes every hot row, one file per (site, day), then in this order: the de-duplication file, the catalog
/// commit with the new files and the watermark (the position of the next record to load), the view, an empty hot table,
/// and the log checkpoint. A crash before the commit leaves files no catalog entry names (deleted at the next start)
/// and records the loader reads again; after it, only records the log still holds are lost from memory.
/// </remarks>
internal sealed class LakeLoader : IDisposable
{
    public const string ConsumerName = "lake";

    /// <summary>The loader connection's temporary table of the rows being flushed, sorted by partition.</summary>
    private const string FlushTable = "flush_rows";

    /// <summary>Below this many records to append, a batch is not worth splitting between lanes.</summary>
    private const int SplitMinimum = 256;

    /// <summary>How many keys ahead of its probe a slot of the de-duplication window is prefetched.</summary>
    private const int PrefetchDistance = 8;

    private readonly LakeCore _lake;
    private readonly DurableLog? _log;
    private readonly DuckDbConnection _connection;
    private readonly RecordDecoder _decoder = new(); // for records the dedup key reader cannot read
    private readonly LoadLane[] _lanes;
    private readonly PartitionFileWriter _files;
    private readonly ConcurrentQueue<Command> _commands = new();
    private readonly Lock _wakeGate = new();
    private readonly List<(long Position, TaskCompletionSource Done)> _positionWaiters = [];
    private int[] _kept = new int[4096];
    private int[] _lanesKept = new int[4096];
    private LogRecordBatch? _inFlight;
    private int _inFlightRows;
    private UInt128[] _keys = new UInt128[4096];
    private DateTimeOffset[] _receivedAt = new DateTimeOffset[4096];
    private DedupWindow _dedup;
    private LogReader? _reader;
    private CancellationTokenSource? _wake;
    private long _hotRows;
    private long _firstUnflushed; // timestamp of the first record loaded since the last flush, 0 when none
    private long _lastVisible;
    private bool _unpublished;
    private long _loaded;
    private long _duplicates;
    private long _rejected;
    private long _erased;
    private long _flushes;

    public LakeLoader(LakeCore lake, DurableLog? log)
    {
        _lake = lake;
        _log = log;
        _files = new PartitionFileWriter(lake.Layout);
        _connection = lake.Database.Connect();
        HotTable.Create(_connection);
        var dimensions = HotDimensions.Open(_connection);
        _lanes = new LoadLane[lake.Options.LoaderThreads];
        for (var i = 0; i < _lanes.Length; i++)
        {
            // One lane works on the loader's thread; several each have their own, so that reading and de-duplicating
            // the next batch overlaps their work on this one.
            _lanes[i] = new LoadLane(lake.Database, dimensions, lake.Logger, _lanes.Length == 1 ? null : $"weir-loader-{i}", lake.Options.Enricher?.Invoke());
        }

        _dedup = new DedupWindow(lake.Layout.Root, lake.Options.DedupWindow);
        _dedup.Load(lake.Catalog.Current.Watermark);
        Position = lake.Catalog.Current.Watermark;
        if (log is not null)
        {
            // The catalog, not the checkpoint, says where to start: the checkpoint may lag it (a crash between the two)
            // and must never lead it (a lake folder deleted by hand starts again from the oldest record kept).
            log.RegisterConsumer(ConsumerName);
            if (log.GetCheckpoint(ConsumerName) < Position && Position <= log.CommittedPosition)
            {
                // A crash after a catalog commit and before its checkpoint: catch the checkpoint up now, so the log may
                // let go of what the files hold without waiting for the next flush.
                log.Checkpoint(ConsumerName, Position);
            }

            if (Position < log.StartPosition)
            {
                LakeLog.RecordsOnlyInRawZone(lake.Logger, Position, log.StartPosition);
            }

            _reader = log.OpenReader(Math.Min(Math.Max(Position, log.StartPosition), log.CommittedPosition), retainPreviousBatch: true);
            Position = _reader.Position;
        }
    }

    /// <summary>The log position of the next record to load.</summary>
    public long Position { get; private set; }

    public long HotRows => Volatile.Read(ref _hotRows);

    public int DedupIds => _dedup.Count;

    public LoaderCounters Counters => new(Volatile.Read(ref _loaded), Volatile.Read(ref _duplicates), Volatile.Read(ref _rejected),
        Volatile.Read(ref _erased), Volatile.Read(ref _flushes));

    /// <summary>Runs <paramref name="work"/> on the loader's thread of control, between two batches.</summary>
    public Task InvokeAsync(Action<LakeLoader> work)
    {
        var command = new Command(work);
        _commands.Enqueue(command);
        lock (_wakeGate)
        {
            // Not Cancel(): it would run the loader's continuation, and with it the loop and this very command, on the
            // caller's thread; a command that waits for its caller would then never return.
            _ = _wake?.CancelAsync();
        }

        return command.Done.Task;
    }

    /// <summary>The live loop: reads the log until <paramref name="stop"/>, then runs the commands still queued.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        Debug.Assert(_reader is not null, "The live loop needs the log.");
        var delay = TimeSpan.FromMilliseconds(500);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await LoopAsync(stop).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(500);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // A failed flush (a full disk, say) or a DuckDB error. Start over from the watermark: the rows of the
                // hot table come back from the log, so no state survives that could be half updated.
                LakeLog.LoaderFailed(_lake.Logger, (long)delay.TotalMilliseconds, e);
                try
                {
                    await Task.Delay(delay, _lake.Time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                ResetFromWatermark();
            }
        }

        RunCommands();
        foreach (var (_, done) in _positionWaiters)
        {
            done.TrySetCanceled(stop);
        }

        _positionWaiters.Clear();
    }

    private async Task LoopAsync(CancellationToken stop)
    {
        var options = _lake.Options;
        while (true)
        {
            RunCommands();
            stop.ThrowIfCancellationRequested();
            var batch = _reader!.Read(options.ReadBatch);
            if (batch.Count == 0)
            {
                if (_unpublished || _inFlight is not null)
                {
                    MakeVisible();
                }

                if (_firstUnflushed != 0 && _lake.Time.GetElapsedTime(_firstUnflushed) >= options.FlushAge)
                {
                    Flush();
                    continue;
                }

                batch = await WaitForRecordsAsync(stop).ConfigureAwait(false);
                if (batch.Count == 0)
                {
                    continue;
                }
            }

            Submit(batch);

            // Counting the batch in flight, as if it were loaded already: the flush waits for it anyway. The flush
            // comes before the waiters are let go, so that they find the lake as the batch left it.
            if (_hotRows + _inFlightRows >= options.FlushRows)
            {
                Flush();
            }
            else if (_lake.Time.GetElapsedTime(_lastVisible) >= options.VisibilityInterval)
            {
                MakeVisible();
            }

            if (_positionWaiters.Count > 0)
            {
                ReleasePositionWaiters();
            }
        }
    }

    /// <summary>Waits for the log to commit more, a command, the age deadline of the hot rows, or the stop.</summary>
    private async ValueTask<LogRecordBatch> WaitForRecordsAsync(CancellationToken stop)
    {
        using var wake = CancellationTokenSource.CreateLinkedTokenSource(stop);
        if (_firstUnflushed != 0)
        {
            var left = _lake.Options.FlushAge - _lake.Time.GetElapsedTime(_firstUnflushed);
            wake.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }

        lock (_wakeGate)
        {
            _wake = wake;
        }

        try
        {
            if (!_commands.IsEmpty)
            {
                return _reader!.Read(_lake.Options.ReadBatch);
            }

            var batch = await _reader!.ReadAsync(_lake.Options.ReadBatch, wake.Token).ConfigureAwait(false);
            if (batch.Count == 0 && _log!.State is LogState.Failed or LogState.Disposed)
            {
                // Nothing will come; wait for the stop (or a command) instead of spinning.
                await Task.Delay(Timeout.Infinite, wake.Token).ConfigureAwait(false);
            }

            return batch;
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return _reader!.Read(_lake.Options.ReadBatch);
        }
        finally
        {
            lock (_wakeGate)
            {
                _wake = null;
            }
        }
    }

    /// <summary>
    /// Loads a batch of records into the hot table (not yet visible: see <see cref="MakeVisible"/>) and waits for it.
    /// </summary>
    public void Load(LogRecordBatch batch)
    {
        Submit(batch);
        Drain();
    }

    /// <summary>
    /// De-duplicates <paramref name="batch"/> on this thread, in log order, then waits for the lanes to finish the batch
    /// before it and starts them on this one: they decode and append the records kept, in parallel, each with its own
    /// appender. The batch must stay valid until <see cref="Drain"/> (the live loop's reader keeps two).
    /// </summary>
    private void Submit(LogRecordBatch batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        if (_firstUnflushed == 0)
        {
            _firstUnflushed = _lake.Time.GetTimestamp();
        }

        var kept = KeepNew(batch.AsSpan());
        Drain();

        // The lanes read the indices of this batch while the next one is de-duplicated into the other array.
        (_kept, _lanesKept) = (_lanesKept, _kept);
        var lanes = kept < SplitMinimum ? 1 : _lanes.Length;
        var share = kept / lanes;
        for (var l = 0; l < lanes; l++)
        {
            var from = share * l;
            _lanes[l].StartLoad(batch, _lanesKept, from, l == lanes - 1 ? kept - from : share);
        }

        _inFlight = batch;
        _inFlightRows = kept;
    }

    /// <summary>Waits for the lanes to finish the batch in flight, if any, and moves <see cref="Position"/> past it.</summary>
    private void Drain()
    {
        if (TakeInFlight() is not { } batch)
        {
            return;
        }

        WaitForLanes(out var appended, out var rejected);
        _hotRows += appended;
        _loaded += appended;
        _rejected += rejected;
        Position = batch.NextPosition;
        _unpublished = true;
    }

    private LogRecordBatch? TakeInFlight()
    {
        var batch = _inFlight;
        _inFlight = null;
        _inFlightRows = 0;
        return batch;
    }

    /// <summary>Waits for every lane, even after one failed (they may be reading a batch the next read reuses).</summary>
    private void WaitForLanes(out long appended, out long rejected)
    {
        appended = 0;
        rejected = 0;
        ExceptionDispatchInfo? failure = null;
        foreach (var lane in _lanes)
        {
            try
            {
                lane.Wait(out var laneAppended, out var laneRejected);
                appended += laneAppended;
                rejected += laneRejected;
            }
            catch (InvalidOperationException e)
            {
                failure ??= ExceptionDispatchInfo.Capture(e);
            }
        }

        failure?.Throw();
    }

    /// <summary>Completes <paramref name="done"/> once every record below <paramref name="position"/> is loaded and visible.</summary>
    public void AddPositionWaiter(long position, TaskCompletionSource done)
    {
        _positionWaiters.Add((position, done));
        ReleasePositionWaiters();
    }

    private void ReleasePositionWaiters()
    {
        var visible = false;
        for (var i = _positionWaiters.Count - 1; i >= 0; i--)
        {
            if (_positionWaiters[i].Position <= (_inFlight?.NextPosition ?? Position))
            {
                if (!visible)
                {
                    MakeVisible();
                    visible = true;
                }

                _positionWaiters[i].Done.TrySetResult();
                _positionWaiters.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// Fills <see cref="_kept"/> with the indexes of the records to append: not erased, readable, and not duplicates.
    /// The keys are read first and probed second, each probe a few keys after its slot was prefetched, so the window's
    /// cache misses overlap instead of following one another.
    /// </summary>
    private int KeepNew(ReadOnlySpan<LogRecord> records)
    {
        if (_kept.Length < records.Length)
        {
            var length = Math.Max(records.Length, _kept.Length * 2);
            _kept = new int[length]; // the lanes' array is the other one, so this is safe while they work
            _keys = new UInt128[length];
            _receivedAt = new DateTimeOffset[length];
        }

        var candidates = 0;
        for (var i = 0; i < records.Length; i++)
        {
            var payload = records[i].Payload.Span;
            if (LogTombstone.IsErased(payload))
            {
                _erased++;
                continue;
            }

            if (!DedupKeyReader.TryRead(payload, out _keys[candidates], out _receivedAt[candidates]))
            {
                if (!_decoder.TryDecode(payload, out var decoded, out var error))
                {
                    _rejected++;
                    LakeLog.RecordRejected(_lake.Logger, records[i].Position, error);
                    continue;
                }

                _keys[candidates] = MessageIdHash.Compute(decoded.SiteId, decoded.MessageId);
                _receivedAt[candidates] = decoded.ReceivedAt;
            }

            _kept[candidates++] = i;
        }

        var keys = _keys.AsSpan(0, candidates);
        for (var j = 0; j < Math.Min(PrefetchDistance, keys.Length); j++)
        {
            _dedup.Prefetch(keys[j]);
        }

        var kept = 0;
        for (var j = 0; j < keys.Length; j++)
        {
            if (j + PrefetchDistance < keys.Length)
            {
                _dedup.Prefetch(keys[j + PrefetchDistance]);
            }

            if (_dedup.TryAdd(keys[j], _receivedAt[j]))
            {
                _kept[kept++] = _kept[j];
            }
            else
            {
                _duplicates++;
            }
        }

        return kept;
    }

    /// <summary>Hands the appended rows to DuckDB, where queries see them.</summary>
    public void MakeVisible()
    {
        Drain();
        foreach (var lane in _lanes)
        {
            lane.StartFlush();
        }

        WaitForLanes(out _, out _);
        _unpublished = false;
        _lastVisible = _lake.Time.GetTimestamp();
    }

    /// <summary>Writes every hot row to Parquet and commits it (see the class remarks for the order). Returns the rows written.</summary>
    public long Flush()
    {
        MakeVisible();
        var start = _lake.Catalog.Current.Watermark;
        var end = Position;
        if (end <= start)
        {
            _firstUnflushed = 0;
            return 0;
        }

        var startedAt = _lake.Time.GetTimestamp();
        var name = start.ToString("D20", CultureInfo.InvariantCulture) + "-" + end.ToString("D20", CultureInfo.InvariantCulture);
        var now = _lake.Time.GetUtcNow();
        var written = new List<CatalogFile>();
        long rows = 0, bytes = 0;
        // The partitions and what the catalog records of each, from the hot table in one pass.
        var partitions = HotPartitions();
        var sorted = partitions.Count > 1;
        if (sorted)
        {
            // Late events spread a flush over many partitions: one sort of the hot rows by partition, then one COPY per
            // partition that reads only its own row groups (DuckDB's zone maps skip the rest of the sorted table).
            _connection.Execute(
                $"CREATE OR REPLACE TEMP TABLE {FlushTable} AS SELECT *, {EventsView.EventDateExpression} AS {Sql.Identifier(EventColumns.EventDate)} " +
                $"FROM {Sql.Identifier(HotTable.RowsView)} ORDER BY {Sql.Identifier(EventColumns.SiteId)}, {Sql.Identifier(EventColumns.EventDate)}, \"timestamp\"");
        }

        try
        {
            foreach (var partition in partitions)
            {
                // With one partition (the common case: today's events of one site) every hot row belongs to it.
                var source = sorted
                    ? $"(SELECT * FROM {FlushTable} WHERE {Sql.Identifier(EventColumns.SiteId)} = {Sql.Literal(partition.SiteId)} " +
                      $"AND {Sql.Identifier(EventColumns.EventDate)} = DATE '{partition.Date:yyyy-MM-dd}')"
                    : Sql.Identifier(HotTable.RowsView);
                var file = _files.Write(_connection, source, partition.SiteId, partition.Date, name, partition.Stats);
                written.Add(file.ToCatalogFile(_lake.Layout.Relative(file.Path), start, end, now));
                rows += file.Rows;
                bytes += file.Bytes;
            }
        }
        finally
        {
            if (sorted)
            {
                _connection.Execute($"DROP TABLE IF EXISTS {FlushTable}");
            }
        }

        _dedup.Persist(end);
        var lanes = _lanes;
        _lake.Commit(snapshot =>
        {
            snapshot = snapshot with { Files = [.. snapshot.Files, .. written], Watermark = end };
            foreach (var lane in lanes)
            {
                snapshot = lane.Schema.MergeInto(snapshot);
            }

            return snapshot;
        }, _connection);

        // The view no longer reads hot rows below the watermark, so emptying the table is invisible to queries.
        RecreateHotTable();
        _hotRows = 0;
        _firstUnflushed = 0;
        _flushes++;

        _log?.Checkpoint(ConsumerName, end);
        _dedup.MergeFilesIfMany(end);
        var elapsedMs = (long)_lake.Time.GetElapsedTime(startedAt).TotalMilliseconds;
        LakeLog.Flushed(_lake.Logger, rows, written.Count, bytes, start, end, elapsedMs);
        return rows;
    }

    /// <summary>
    /// Forgets the hot rows and everything loaded since the watermark, and reads the log again from there: after a
    /// failure, and after an erasure rewrote the log under the reader.
    /// </summary>
    public void ResetFromWatermark()
    {
        if (TakeInFlight() is not null)
        {
            // What the lanes did is thrown away with the hot table; only wait for them to stop.
            try
            {
                WaitForLanes(out _, out _);
            }
            catch (InvalidOperationException)
            {
                // Already reported by the failure that led here, or about to be replaced by a fresh start.
            }
        }

        RecreateHotTable();
        foreach (var lane in _lanes)
        {
            lane.ResetSchema();
        }

        _dedup.Dispose();
        _dedup = new DedupWindow(_lake.Layout.Root, _lake.Options.DedupWindow);
        _dedup.Load(_lake.Catalog.Current.Watermark);
        Position = _lake.Catalog.Current.Watermark;
        ReopenReader();
        _hotRows = 0;
        _firstUnflushed = 0;
        _unpublished = false;
    }

    /// <summary>
    /// Opens the log reader again at the current position, so that it reads the files an erasure just put in place of
    /// the ones it had open.
    /// </summary>
    public void ReopenReader()
    {
        if (_log is not null)
        {
            _reader?.Dispose();
            _reader = _log.OpenReader(Position, retainPreviousBatch: true);
        }
    }

    public void Dispose()
    {
        _reader?.Dispose();
        foreach (var lane in _lanes)
        {
            lane.Dispose();
        }

        _connection.Dispose();
        _decoder.Dispose();
        _dedup.Dispose();
    }

    /// <summary>An empty hot table and an appender on it. A new table instead of a DELETE gives the old rows' memory back.</summary>
    private void RecreateHotTable()
    {
        foreach (var lane in _lanes)
        {
            lane.Detach();
        }

        _connection.Execute($"BEGIN TRANSACTION; DROP TABLE IF EXISTS {Sql.Identifier(HotTable.Name)}; {HotTable.CreateStatement}; COMMIT");
        foreach (var lane in _lanes)
        {
            lane.Reattach();
        }
    }

    private List<(string SiteId, DateOnly Date, PartitionStats Stats)> HotPartitions()
    {
        var partitions = new List<(string, DateOnly, PartitionStats)>();
        using var result = _connection.Query(
            $"SELECT {Sql.Identifier(EventColumns.SiteId)}, {EventsView.EventDateExpression} AS d, count(*), min(\"timestamp\"), max(\"timestamp\") " +
            $"FROM {Sql.Identifier(HotTable.Name)} GROUP BY ALL ORDER BY ALL");
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                var sites = chunk.GetVector(0);
                var dates = chunk.GetVector(1);
                var counts = chunk.GetVector(2);
                var min = chunk.GetVector(3);
                var max = chunk.GetVector(4);
                for (var i = 0; i < chunk.RowCount; i++)
                {
                    partitions.Add((sites.GetString(i), dates.GetDate(i),
                        new PartitionStats(counts.GetInt64(i), min.GetDateTimeOffset(i), max.GetDateTimeOffset(i))));
                }
            }
        }

        return partitions;
    }

    private void RunCommands()
    {
        while (_commands.TryDequeue(out var command))
        {
            try
            {
                Drain(); // a command sees every batch read so far loaded
                command.Work(this);
                command.Done.TrySetResult();
            }
            catch (Exception e)
            {
                command.Done.TrySetException(e);
            }
        }
    }

    private sealed class Command(Action<LakeLoader> work)
    {
        public Action<LakeLoader> Work { get; } = work;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>What the loader has done since the process started.</summary>
public readonly record struct LoaderCounters(long Loaded, long Duplicates, long Rejected, long Erased, long Flushes);
