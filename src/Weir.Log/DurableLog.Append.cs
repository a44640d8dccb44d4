using System.Runtime.CompilerServices;
using Weir.Log.Format;

namespace Weir.Log;

/// <summary>The append side: enqueueing records and waiting for them to be durable.</summary>
public sealed partial class DurableLog
{
    /// <summary>
    /// Copies a record into the current group-commit buffer and gives it its position. Returns false when the buffer is
    /// full (the flusher is busy with the previous one): wait for a commit and try again, or use <see cref="AppendAsync"/>.
    /// The record is durable only once <see cref="WaitForCommitAsync"/> for its position completes.
    /// </summary>
    /// <exception cref="LogFailedException">The log has failed for good.</exception>
    /// <exception cref="ObjectDisposedException">The log is being disposed.</exception>
    /// <exception cref="ArgumentException">The payload is empty or longer than <see cref="LogOptions.MaxRecordBytes"/>.</exception>
    public bool TryEnqueue(ReadOnlySpan<byte> payload, out long position)
    {
        CheckLength(payload.Length);
        var crc = Crc32C.ComputeFrame(payload);
        var frame = SegmentFormat.FrameHeaderLength + payload.Length;
        lock (_sync)
        {
            ThrowIfNotAccepting();
            if (_active.Length - _activeLength < frame)
            {
                position = -1;
                return false;
            }

            position = AddFrame(payload, crc, frame);
        }

        return true;
    }

    /// <summary>
    /// Enqueues several records together, all or none: they get consecutive positions (written to
    /// <paramref name="positions"/>, which must be as long as <paramref name="records"/>) and are made durable by the same
    /// write and fsync. Returns false when they do not fit in the current buffer.
    /// </summary>
    public bool TryEnqueue(ReadOnlySpan<ReadOnlyMemory<byte>> records, Span<long> positions)
    {
        if (positions.Length < records.Length)
        {
            throw new ArgumentException("positions must be as long as records.", nameof(positions));
        }

        var total = BatchLength(records);
        lock (_sync)
        {
            ThrowIfNotAccepting();
            if (_active.Length - _activeLength < total)
            {
                return false;
            }

            AddFrames(records, positions);
        }

        return true;
    }

    /// <summary>
    /// Completes once the record at <paramref name="position"/> (and so every record before it) is durable. Fails with
    /// <see cref="LogFullException"/> if the disk was full when its batch was written, or <see cref="LogFailedException"/>
    /// if the log failed. The returned ValueTask may be pooled: await it exactly once.
    /// </summary>
    public ValueTask WaitForCommitAsync(long position)
    {
        if (position < Volatile.Read(ref _committed) && !_anyDiscarded)
        {
            return ValueTask.CompletedTask;
        }

        lock (_sync)
        {
            if (position < 0 || position >= _tail)
            {
                return ValueTask.FromException(new ArgumentOutOfRangeException(nameof(position), position, "No record was enqueued at this position."));
            }

            if (IsDiscarded(position))
            {
                return ValueTask.FromException(new LogFullException());
            }

            if (position < _committed)
            {
                return ValueTask.CompletedTask;
            }

            if (_failure is not null)
            {
                return ValueTask.FromException(NewFailedException());
            }

            var waiter = _waiterPool.Rent(position, position);
            _waiters.Add(waiter);
            return waiter.AsValueTask();
        }
    }

    /// <summary>
    /// Appends one record and completes with its position once it is durable (after the fsync that covers it returned
    /// success). Allocates nothing in steady state. When the group-commit buffer is full it waits for room; the
    /// <paramref name="cancellationToken"/> only cancels that wait, never a record already enqueued.
    /// </summary>
    /// <exception cref="LogFullException">The disk was full; the record is not durable (in the returned task).</exception>
    /// <exception cref="LogFailedException">The log failed; the record is not durable (in the returned task).</exception>
    /// <exception cref="ArgumentException">The payload is empty or too large (thrown at once).</exception>
    public ValueTask<long> AppendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        var span = payload.Span;
        CheckLength(span.Length);
        var crc = Crc32C.ComputeFrame(span);
        var frame = SegmentFormat.FrameHeaderLength + span.Length;
        lock (_sync)
        {
            if (NotAccepting() is { } refused)
            {
                return ValueTask.FromException<long>(refused);
            }

            if (_active.Length - _activeLength >= frame)
            {
                var position = AddFrame(span, crc, frame);
                var waiter = _waiterPool.Rent(position, position);
                _waiters.Add(waiter);
                return waiter.AsValueTaskOfPosition();
            }
        }

        return AppendSlowAsync(payload, cancellationToken);
    }

    /// <summary>
    /// Appends several records so that they become durable together (one write, one fsync) and completes with the first
    /// one's position once they are. Their positions are written to <paramref name="positions"/> when it is not empty.
    /// Their frames together must fit in <see cref="LogOptions.MaxBatchBytes"/>.
    /// </summary>
    public ValueTask<long> AppendBatchAsync(ReadOnlyMemory<ReadOnlyMemory<byte>> records, Memory<long> positions = default, CancellationToken cancellationToken = default)
    {
        if (records.IsEmpty)
        {
            throw new ArgumentException("A batch holds at least one record.", nameof(records));
        }

        if (!positions.IsEmpty && positions.Length < records.Length)
        {
            throw new ArgumentException("positions must be empty or as long as records.", nameof(positions));
        }

        var total = BatchLength(records.Span);
        lock (_sync)
        {
            if (NotAccepting() is { } refused)
            {
                return ValueTask.FromException<long>(refused);
            }

            if (_active.Length - _activeLength >= total)
            {
                return EnqueueBatchWithWaiter(records.Span, positions.Span);
            }
        }

        return AppendBatchSlowAsync(records, positions, total, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> AppendSlowAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var crc = Crc32C.ComputeFrame(payload.Span);
        var frame = SegmentFormat.FrameHeaderLength + payload.Length;
        while (true)
        {
            Task? space;
            ValueTask<long> commit = default;
            lock (_sync)
            {
                ThrowIfNotAccepting();
                if (_active.Length - _activeLength >= frame)
                {
                    var position = AddFrame(payload.Span, crc, frame);
                    var waiter = _waiterPool.Rent(position, position);
                    _waiters.Add(waiter);
                    commit = waiter.AsValueTaskOfPosition();
                    space = null;
                }
                else
                {
                    space = SpaceSignal();
                }
            }

            // Enqueued: wait for the commit. Not enqueued: wait for room, then try again. The room signal may already be
            // complete (the flusher freed space a moment ago, or not enough of it), so its state must not be read as
            // "enqueued": that returned a default position for records that were never appended.
            if (space is null)
            {
                return await commit.ConfigureAwait(false);
            }

            await space.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> AppendBatchSlowAsync(ReadOnlyMemory<ReadOnlyMemory<byte>> records, Memory<long> positions, long total, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task? space;
            ValueTask<long> commit = default;
            lock (_sync)
            {
                ThrowIfNotAccepting();
                if (_active.Length - _activeLength >= total)
                {
                    commit = EnqueueBatchWithWaiter(records.Span, positions.Span);
                    space = null;
                }
                else
                {
                    space = SpaceSignal();
                }
            }

            // Enqueued: wait for the commit. Not enqueued: wait for room, then try again. The room signal may already be
            // complete (the flusher freed space a moment ago, or not enough of it), so its state must not be read as
            // "enqueued": that returned a default position for records that were never appended.
            if (space is null)
            {
                return await commit.ConfigureAwait(false);
            }

            await space.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Under <see cref="_sync"/>, with room checked: adds the frames and one waiter on the last of them.</summary>
    private ValueTask<long> EnqueueBatchWithWaiter(ReadOnlySpan<ReadOnlyMemory<byte>> records, Span<long> positions)
    {
        var first = _tail;
        var last = AddFrames(records, positions);
        var waiter = _waiterPool.Rent(last, first);
        _waiters.Add(waiter);
        return waiter.AsValueTaskOfPosition();
    }

    /// <summary>Under <see cref="_sync"/>: copies a frame into the active buffer and wakes the flusher if it sleeps.</summary>
    private long AddFrame(ReadOnlySpan<byte> payload, uint crc, int frame)
    {
        SegmentFormat.WriteFrame(_active.AsSpan(_activeLength), payload, crc);
        var position = _tail;
        _tail += frame;
        _activeLength += frame;
        _activeRecords++;
        WakeFlusher();
        return position;
    }

    /// <summary>Under <see cref="_sync"/>: copies frames (checksummed in place) and returns the last one's position.</summary>
    private long AddFrames(ReadOnlySpan<ReadOnlyMemory<byte>> records, Span<long> positions)
    {
        var last = _tail;
        for (var i = 0; i < records.Length; i++)
        {
            var payload = records[i].Span;
            var destination = _active.AsSpan(_activeLength);
            var frame = SegmentFormat.WriteFrame(destination, payload, 0);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(destination[4..],
                Crc32C.ComputeFrame(destination.Slice(SegmentFormat.FrameHeaderLength, payload.Length)));
            last = _tail;
            if (!positions.IsEmpty)
            {
                positions[i] = last;
            }

            _tail += frame;
            _activeLength += frame;
            _activeRecords++;
        }

        WakeFlusher();
        return last;
    }

    private void WakeFlusher()
    {
        if (_flusherIdle)
        {
            _flusherIdle = false;
            Monitor.Pulse(_sync);
        }
    }

    private long BatchLength(ReadOnlySpan<ReadOnlyMemory<byte>> records)
    {
        long total = 0;
        foreach (var record in records)
        {
            CheckLength(record.Length);
            total += SegmentFormat.FrameHeaderLength + record.Length;
        }

        if (total > _options.MaxBatchBytes)
        {
            ThrowHelper.BatchTooLarge(total, _options.MaxBatchBytes);
        }

        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckLength(int length)
    {
        if ((uint)(length - 1) >= (uint)_options.MaxRecordBytes)
        {
            ThrowHelper.RecordTooLarge(length, _options.MaxRecordBytes);
        }
    }

    /// <summary>Under <see cref="_sync"/>: the exception an append gets when the log takes no more, or null.</summary>
    private Exception? NotAccepting() =>
        _failure is not null ? NewFailedException() : _disposing ? new ObjectDisposedException(nameof(DurableLog)) : null;

    /// <summary>Under <see cref="_sync"/>.</summary>
    private void ThrowIfNotAccepting()
    {
        if (_failure is not null)
        {
            ThrowHelper.Failed(_failure);
        }

        if (_disposing)
        {
            ThrowHelper.Disposed();
        }
    }

    /// <summary>Under <see cref="_sync"/>: a task that completes when the flusher next takes the active buffer.</summary>
    private Task SpaceSignal()
    {
        WakeFlusher();
        return (_spaceSignal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
    }

    /// <summary>Under <see cref="_sync"/>: whether a position belongs to a batch that was dropped because the disk was full.</summary>
    private bool IsDiscarded(long position)
    {
        foreach (var (start, end) in _discarded)
        {
            if (position >= start && position < end)
            {
                return true;
            }
        }

        return false;
    }

    private LogFailedException NewFailedException() =>
        new("The log has failed after an I/O error; this record is not durable. Reopen the log after checking the disk.", _failure!);
}
