using Weir.Log.Format;
using Weir.Log.Internal;
using Weir.Log.IO;
using Weir.Log.Logging;

namespace Weir.Log;

/// <summary>
/// The flusher: one thread that takes the active buffer, writes it with one <c>pwrite</c> and one <c>fdatasync</c>, and
/// completes the waiters whose records that made durable. While it writes and syncs, writers fill the other buffer, so the
/// next group is ready when it returns: the group grows with the load, with no timer.
/// </summary>
/// <remarks>
/// Failures:
/// <list type="bullet">
/// <item>ENOSPC (or EDQUOT) on a write: the file is cut back to the last durable byte and synced, the batch's waiters fail
/// with <see cref="LogFullException"/>, its positions are never reused (the next batch goes to a new segment whose header
/// records the gap), and the state is <see cref="LogState.DiskFull"/> until a later flush succeeds.</item>
/// <item>Any error from fdatasync, and any other write error: the state is <see cref="LogState.Failed"/> for good. After a
/// failed fsync Linux may already have dropped the dirty pages and cleared the error, so a retry could "succeed" without
/// the data ever reaching the disk (PostgreSQL's fsync problem, 2018). The only safe answer is to stop and let recovery
/// read back what is really on disk.</item>
/// </list>
/// </remarks>
public sealed partial class DurableLog
{
    // Flusher-only: the waiters the current flush releases, and spare sets that their work items have finished with.
    private readonly System.Collections.Concurrent.ConcurrentQueue<Completions> _spareCompletions = new();
    private Completions _completing = new();

    private void FlushLoop()
    {
        try
        {
            while (true)
            {
                byte[]? batch = null;
                int length, records = 0;
                long start, end;
                TaskCompletionSource? space = null;
                TaskCompletionSource? seal;
                lock (_sync)
                {
                    while (_activeLength == 0 && !_disposing && _sealRequest is null)
                    {
                        _flusherIdle = true;
                        Monitor.Wait(_sync);
                    }

                    _flusherIdle = false;
                    seal = _sealRequest;
                    _sealRequest = null;
                    if (_activeLength == 0 && seal is null)
                    {
                        break;
                    }

                    length = _activeLength;
                    end = _tail;
                    start = end - length;
                    if (length > 0)
                    {
                        batch = _active;
                        records = _activeRecords;
                        _active = _spare;
                        _activeLength = 0;
                        _activeRecords = 0;
                        space = _spaceSignal;
                        _spaceSignal = null;
                    }
                }

                space?.TrySetResult();
                if (seal is not null)
                {
                    // Before the batch: the sealed segment then ends exactly where the batch (or, when idle, the next one) starts.
                    Seal(seal, start);
                }

                if (batch is not null)
                {
                    WriteBatch(batch.AsSpan(0, length), records, start, end);
                    lock (_sync)
                    {
                        _spare = batch;
                    }
                }
            }
        }
        catch (Exception e)
        {
            // Only a bug gets here; fail every waiter rather than leave them hanging.
            Fail("the flush loop", e);
        }
        finally
        {
            TaskCompletionSource? seal;
            lock (_sync)
            {
                seal = _sealRequest;
                _sealRequest = null;
            }

            seal?.TrySetException(_failure is not null ? NewFailedException() : new ObjectDisposedException(nameof(DurableLog)));
            _flusherExited.TrySetResult();
        }
    }

    /// <summary>
    /// Asks the flusher to close the active segment and start a new one, and completes once it has (at once when the active
    /// segment holds no record). Works whether or not appends are coming: an idle flusher is woken for it. The erasure uses it
    /// because a closed segment is never written again, so it can be copied and replaced.
    /// </summary>
    internal Task SealActiveSegmentAsync()
    {
        lock (_sync)
        {
            ThrowIfNotAccepting();
            var request = _sealRequest ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            WakeFlusher();
            return request.Task;
        }
    }

    /// <summary>Flusher only: serves a <see cref="SealActiveSegmentAsync"/> request with a roll at <paramref name="basePosition"/>.</summary>
    private void Seal(TaskCompletionSource request, long basePosition)
    {
        if (_failure is not null)
        {
            request.TrySetException(NewFailedException());
            return;
        }

        if (_activeFileLength == SegmentFormat.HeaderLength)
        {
            // Nothing to seal, and a new segment could take this one's name (an empty segment's base is the next position).
            request.TrySetResult();
            return;
        }

        try
        {
            Roll(basePosition);
        }
        catch (Exception e) when (LogIOException.IsNoSpace(e))
        {
            // A half-made segment may be left under the new name: the next batch rolls first and so replaces it.
            _rollPending = true;
            request.TrySetException(e);
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail("segment roll", e);
            request.TrySetException(NewFailedException());
            return;
        }

        request.TrySetResult();
    }

    private void WriteBatch(ReadOnlySpan<byte> data, int records, long start, long end)
    {
        if (_failure is not null)
        {
            Fail("a write after the log failed", _failure);
            return;
        }

        var stage = "segment roll";
        try
        {
            if (_rollPending || _activeFileLength - SegmentFormat.HeaderLength >= _options.SegmentBytes)
            {
                Roll(start);
            }

            stage = "write";
            _fs.Write(_activeHandle, data, _activeFileLength);
        }
        catch (Exception e) when (LogIOException.IsNoSpace(e))
        {
            DiskFull(records, start, end, e);
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(stage, e);
            return;
        }

        try
        {
            _fs.SyncData(_activeHandle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Never retried: see the remarks on this class.
            Fail("fdatasync", e);
            return;
        }

        _activeFileLength += data.Length;
        Commit(records, data.Length, end);
    }

    /// <summary>Closes the active segment (already synced) and starts a new one at <paramref name="basePosition"/>.</summary>
    private void Roll(long basePosition)
    {
        // The active segment ends at its last frame: the committed position, or its own base if it was started after a
        // full disk and never written to.
        var currentEnd = _segments[^1].BasePosition + (_activeFileLength - SegmentFormat.HeaderLength);
        var segment = CreateSegment(basePosition, currentEnd, out var handle);
        lock (_segmentsLock)
        {
            var segments = _segments;
            segments[^1].SealedEnd = currentEnd;
            _segments = [.. segments, segment];
        }

        _activeHandle.Dispose();
        _activeHandle = handle;
        _activeFileLength = SegmentFormat.HeaderLength;
        _rollPending = false;
    }

    private void Commit(int records, int bytes, long end)
    {
        // Publish first, then scan: a waiter that registers after the scan sees the new committed position.
        Volatile.Write(ref _committed, end);
        Interlocked.Add(ref _recordsAppended, records);
        Interlocked.Add(ref _bytesAppended, bytes);
        Interlocked.Increment(ref _fsyncs);
        TaskCompletionSource? readers;
        var recovered = false;
        lock (_sync)
        {
            if (State == LogState.DiskFull)
            {
                Volatile.Write(ref _state, (int)LogState.Healthy);
                recovered = true;
            }

            TakeWaiters(end);
            readers = _commitSignal;
            _commitSignal = null;
        }

        DispatchCompletions(failure: null);
        readers?.TrySetResult();
        if (recovered)
        {
            LogMessages.DiskSpaceRecovered(_logger);
        }
    }

    /// <summary>Hands the waiters taken by this flush to the thread pool, to be completed there together.</summary>
    private void DispatchCompletions(Func<Exception>? failure)
    {
        if (_completing.Count == 0)
        {
            return;
        }

        var batch = _completing;
        _completing = _spareCompletions.TryDequeue(out var spare) ? spare : new Completions();
        batch.Dispatch(failure, _releaseCompletions);
    }

    /// <summary>Under <see cref="_sync"/>: moves the waiters below <paramref name="end"/> to <see cref="_completing"/>.</summary>
    private void TakeWaiters(long end)
    {
        var kept = 0;
        for (var i = 0; i < _waiters.Count; i++)
        {
            var waiter = _waiters[i];
            if (waiter.Position < end)
            {
                _completing.Add(waiter);
            }
            else
            {
                _waiters[kept++] = waiter;
            }
        }

        _waiters.RemoveRange(kept, _waiters.Count - kept);
    }

    private void DiskFull(int records, long start, long end, Exception cause)
    {
        try
        {
            // Cut off whatever part of the batch reached the file, and make the cut durable: the segment must end exactly
            // at the last good record before another segment follows it.
            if (RandomAccess.GetLength(_activeHandle) != _activeFileLength)
            {
                _fs.SetLength(_activeHandle, _activeFileLength);
                _fs.SyncData(_activeHandle);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail("truncating after ENOSPC", e);
            return;
        }

        _rollPending = true;
        Interlocked.Add(ref _recordsRejected, records);
        lock (_sync)
        {
            Volatile.Write(ref _state, (int)LogState.DiskFull);
            _anyDiscarded = true;
            if (_discarded.Count > 0 && _discarded[^1].End == start)
            {
                _discarded[^1] = (_discarded[^1].Start, end);
            }
            else
            {
                if (_discarded.Count == 1024)
                {
                    _discarded.RemoveAt(0);
                }

                _discarded.Add((start, end));
            }

            TakeWaiters(end);
        }

        DispatchCompletions(() => new LogFullException("The log's disk is full; this record was not made durable. Appends succeed again once space is freed.", cause));
        LogMessages.DiskFull(_logger, records, start, end, cause);
    }

    private void Fail(string operation, Exception cause)
    {
        TaskCompletionSource? readers;
        TaskCompletionSource? space;
        lock (_sync)
        {
            var first = _failure is null;
            _failure ??= cause;
            Volatile.Write(ref _state, (int)LogState.Failed);
            _activeLength = 0;
            _activeRecords = 0;
            foreach (var waiter in _waiters)
            {
                _completing.Add(waiter);
            }

            _waiters.Clear();
            readers = _commitSignal;
            _commitSignal = null;
            space = _spaceSignal;
            _spaceSignal = null;
            if (first)
            {
                LogMessages.Failed(_logger, operation, cause);
            }
        }

        DispatchCompletions(NewFailedException);
        readers?.TrySetResult();
        space?.TrySetResult();
    }
}
