using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Weir.Log.Format;
using Weir.Log.Internal;

namespace Weir.Log;

/// <summary>
/// Reads records in order, in batches, and never past the committed position: it cannot see a record that a crash could
/// take back. Not thread-safe: one reader per consuming task. Records of a batch are valid until the next read or, for a
/// reader that retains the previous batch, until the read after it: the consumer can then work on one batch on other
/// threads while it reads the next.
/// </summary>
public sealed class LogReader : IDisposable
{
    // 1 MiB holds about 1 300 typical records: few enough reads that a consumer's cost per batch is small.
    private const int MinimumBuffer = 1 << 20;

    private readonly DurableLog _log;
    private readonly LogRecordBatch[] _batches;
    private readonly byte[][] _buffers;
    private int _slot;
    private LogRecordBatch _batch;
    private byte[] _buffer;
    private Segment? _segment;
    private SafeFileHandle? _handle;
    private int _segmentMaxPayload;
    private bool _disposed;

    internal LogReader(DurableLog log, long position, string? consumer, bool retainPreviousBatch = false)
    {
        _log = log;
        Position = position;
        Consumer = consumer;
        var slots = retainPreviousBatch ? 2 : 1;
        _batches = new LogRecordBatch[slots];
        _buffers = new byte[slots][];
        for (var i = 0; i < slots; i++)
        {
            _batches[i] = new LogRecordBatch();
            _buffers[i] = ArrayPool<byte>.Shared.Rent(MinimumBuffer);
        }

        _batch = _batches[0];
        _buffer = _buffers[0];
    }

    /// <summary>The position of the next record to read: checkpoint this after processing a batch.</summary>
    public long Position { get; private set; }

    /// <summary>The consumer this reader was opened for, if any.</summary>
    public string? Consumer { get; }

    /// <summary>
    /// Reads up to <paramref name="maxRecords"/> durable records without waiting; the batch is empty when the reader has
    /// reached the committed position.
    /// </summary>
    /// <exception cref="LogCorruptionException">A record read back fails its checksum.</exception>
    public LogRecordBatch Read(int maxRecords = 1024)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRecords, 1);
        if (_batches.Length > 1 && _batch.Count > 0)
        {
            // An empty batch holds nothing to keep, so empty reads (while waiting for records) do not use up the other slot.
            _slot ^= 1;
            _batch = _batches[_slot];
            _buffer = _buffers[_slot];
        }

        _batch.Clear(Position);
        while (true)
        {
            // Order matters: committed first, then the segment list, then a segment's end (see Segment.SealedEnd).
            var committed = _log.CommittedPosition;
            if (Position >= committed)
            {
                return _batch;
            }

            if (!Locate(committed, out var limit))
            {
                continue;
            }

            ReadFrames(limit, maxRecords);
            return _batch;
        }
    }

    /// <summary>Reads up to <paramref name="maxRecords"/> durable records, waiting until there is at least one.</summary>
    public async ValueTask<LogRecordBatch> ReadAsync(int maxRecords = 1024, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var batch = Read(maxRecords);
            if (batch.Count > 0)
            {
                return batch;
            }

            if (_log.State is LogState.Failed or LogState.Disposed)
            {
                return batch;
            }

            await _log.WaitForCommitBeyondAsync(Position, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Makes <see cref="_segment"/> the segment holding <see cref="Position"/>, jumping over gaps, and returns the position up
    /// to which it may be read. False when the position moved (a gap was skipped) and the caller should look again.
    /// </summary>
    private bool Locate(long committed, out long limit)
    {
        limit = 0;
        if (_segment is null || Position < _segment.BasePosition || Position >= _segment.SealedEnd)
        {
            var segments = _log.Segments;
            Segment? found = null;
            for (var i = segments.Length - 1; i >= 0; i--)
            {
                if (segments[i].BasePosition <= Position)
                {
                    found = segments[i];
                    if (Position >= found.SealedEnd)
                    {
                        if (i + 1 >= segments.Length)
                        {
                            return false; // The next segment is being published; look again.
                        }

                        Position = segments[i + 1].BasePosition;
                        _batch.Clear(Position);
                        return false;
                    }

                    break;
                }
            }

            if (found is null)
            {
                if (segments.Length > 0 && Position >= segments[0].PreviousEnd)
                {
                    Position = segments[0].BasePosition; // In the gap before the oldest segment.
                    _batch.Clear(Position);
                    return false;
                }

                ThrowHelper.PositionGone(Position, segments.Length > 0 ? segments[0].BasePosition : committed);
            }

            Open(found);
        }

        limit = Math.Min(committed, _segment!.SealedEnd);
        return true;
    }

    private void Open(Segment segment)
    {
        _handle?.Dispose();
        _handle = null;
        try
        {
            _handle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            ThrowHelper.PositionGone(Position, _log.StartPosition);
        }

        Span<byte> header = stackalloc byte[SegmentFormat.HeaderLength];
        var read = RandomAccess.Read(_handle, header, 0);
        if (SegmentFormat.TryReadHeader(header[..read], out var decoded) != HeaderStatus.Valid)
        {
            throw new LogCorruptionException(segment.Path, 0, "the segment header is invalid");
        }

        _segmentMaxPayload = decoded.MaxBatchBytes - SegmentFormat.FrameHeaderLength;
        _segment = segment;
    }

    private void ReadFrames(long limit, int maxRecords)
    {
        var segment = _segment!;
        var available = limit - Position;
        var toRead = (int)Math.Min(available, _buffer.Length);
        var read = ReadExactly(segment.FileOffset(Position), toRead);
        var offset = 0;
        while (_batch.Count < maxRecords)
        {
            var status = SegmentFormat.TryReadFrame(_buffer.AsSpan(offset, read - offset), _segmentMaxPayload, out var length);
            if (status == FrameStatus.Valid)
            {
                var frame = SegmentFormat.FrameHeaderLength + length;
                _batch.Add(new LogRecord(Position, Position + frame, _buffer.AsMemory(offset + SegmentFormat.FrameHeaderLength, length)));
                Position += frame;
                offset += frame;
                continue;
            }

            if (status == FrameStatus.Incomplete && offset < read && _batch.Count == 0 && read < available)
            {
                // A record larger than the buffer: grow the buffer to hold it and read again.
                var needed = SegmentFormat.FrameHeaderLength + System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(offset));
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
                _buffers[_slot] = _buffer;
                toRead = (int)Math.Min(available, _buffer.Length);
                read = ReadExactly(segment.FileOffset(Position), toRead);
                offset = 0;
                continue;
            }

            if (status == FrameStatus.Incomplete && (read < available || offset == read))
            {
                return; // The rest is beyond this read.
            }

            throw new LogCorruptionException(segment.Path, segment.FileOffset(Position),
                status == FrameStatus.BadChecksum ? "a committed record fails its checksum" : "a committed record is malformed");
        }
    }

    private int ReadExactly(long fileOffset, int count)
    {
        var total = 0;
        while (total < count)
        {
            var n = RandomAccess.Read(_handle!, _buffer.AsSpan(total, count - total), fileOffset + total);
            if (n <= 0)
            {
                throw new LogCorruptionException(_segment!.Path, fileOffset + total, "the segment is shorter than its committed records");
            }

            total += n;
        }

        return total;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _handle?.Dispose();
        for (var i = 0; i < _buffers.Length; i++)
        {
            ArrayPool<byte>.Shared.Return(_buffers[i]);
            _buffers[i] = [];
        }

        _buffer = [];
    }
}
