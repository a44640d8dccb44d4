using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Weir.Log.Format;
using Weir.Log.Internal;

namespace Weir.Log;

/// <summary>
/// Reads records in order, in batches, and never past the committed position: it cannot see a record that a crash could
/// take back. Not thread-safe: one reader per consuming task. Records of a batch are valid until the next read.
/// </summary>
public sealed class LogReader : IDisposable
{
    private const int MinimumBuffer = 256 << 10;

    private readonly DurableLog _log;
    private readonly LogRecordBatch _batch = new();
    private byte[] _buffer;
    private Segment? _segment;
    private SafeFileHandle? _handle;
    private int _segmentMaxPayload;
    private bool _disposed;

    internal LogReader(DurableLog log, long position, string? consumer)
    {
        _log = log;
        Position = position;
        Consumer = consumer;
        _buffer = ArrayPool<byte>.Shared.Rent(MinimumBuffer);
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
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
