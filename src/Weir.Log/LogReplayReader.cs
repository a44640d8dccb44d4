using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using Weir.Log.Format;

namespace Weir.Log;

/// <summary>
/// Replays the raw zone and then the live log: the archived segments (<c>&lt;base&gt;-&lt;end&gt;.wlog.gz</c> in
/// <see cref="LogOptions.ArchiveDirectory"/>) in position order, then the segments still in the log directory, up to the
/// committed position. Every record comes once, in order, even when a segment is both archived and still present (a
/// crash between archiving and deleting). Not thread-safe.
/// </summary>
public sealed class LogReplayReader : IDisposable
{
    private readonly DurableLog _log;
    private readonly List<(long Base, long End, string Path)> _archives = [];
    private readonly LogRecordBatch _batch = new();
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 << 10);
    private int _bufferUsed;
    private int _archiveIndex;
    private GZipStream? _archive;
    private string? _archivePath;
    private long _archivePosition;
    private int _archiveMaxPayload;
    private LogReader? _live;
    private readonly byte[] _pendingFrameHeader = new byte[SegmentFormat.FrameHeaderLength];
    private bool _hasPendingFrameHeader;
    private bool _disposed;

    internal LogReplayReader(DurableLog log, long fromPosition)
    {
        _log = log;
        Position = fromPosition;
        if (log.Options.ArchiveDirectory is { } directory && System.IO.Directory.Exists(directory))
        {
            foreach (var path in System.IO.Directory.EnumerateFiles(directory, "*" + DurableLog.ArchiveExtension))
            {
                if (DurableLog.TryParseArchiveFileName(Path.GetFileName(path.AsSpan()), out var basePosition, out var end)
                    && end > fromPosition)
                {
                    _archives.Add((basePosition, end, path));
                }
            }

            _archives.Sort((a, b) => a.Base.CompareTo(b.Base));
        }

        // Starting before everything that is kept means starting at the oldest record kept.
        var oldest = _archives.Count > 0 ? _archives[0].Base : log.StartPosition;
        if (Position < oldest)
        {
            Position = oldest;
        }
    }

    /// <summary>The position after the last record returned.</summary>
    public long Position { get; private set; }

    /// <summary>Reads up to <paramref name="maxRecords"/> records; an empty batch means the replay reached the committed end.</summary>
    public LogRecordBatch Read(int maxRecords = 1024)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRecords, 1);
        _batch.Clear(Position);
        _bufferUsed = 0;
        while (_archiveIndex < _archives.Count || _archive is not null)
        {
            if (_archive is null)
            {
                OpenArchive(_archives[_archiveIndex++]);
            }

            while (_batch.Count < maxRecords)
            {
                var next = ReadArchivedRecord();
                if (next == ArchiveRead.BufferFull)
                {
                    return _batch;
                }

                if (next == ArchiveRead.End)
                {
                    _archive!.Dispose();
                    _archive = null;
                    break;
                }
            }

            if (_batch.Count >= maxRecords)
            {
                return _batch;
            }
        }

        if (_batch.Count > 0)
        {
            return _batch;
        }

        if (_live is null)
        {
            var start = _log.StartPosition;
            if (Position < start && Position < _log.Segments[0].PreviousEnd)
            {
                ThrowHelper.PositionGone(Position, start);
            }

            _live = _log.OpenReader(Position);
        }

        var live = _live.Read(maxRecords);
        Position = live.NextPosition;
        return live;
    }

    private void OpenArchive((long Base, long End, string Path) archive)
    {
        _archivePath = archive.Path;
        _archive = new GZipStream(File.OpenRead(archive.Path), CompressionMode.Decompress);
        Span<byte> header = stackalloc byte[SegmentFormat.HeaderLength];
        if (!Fill(header) || SegmentFormat.TryReadHeader(header, out var decoded) != HeaderStatus.Valid || decoded.BasePosition != archive.Base)
        {
            throw new LogCorruptionException(archive.Path, 0, "the archived segment's header is invalid");
        }

        if (decoded.PreviousEnd > Position && Position < archive.Base)
        {
            throw new LogCorruptionException(archive.Path, 0,
                $"the raw zone has no records between {Position} and {decoded.PreviousEnd} (an archive is missing)");
        }

        _archivePosition = archive.Base;
        _archiveMaxPayload = decoded.MaxBatchBytes - SegmentFormat.FrameHeaderLength;
    }

    private enum ArchiveRead
    {
        Record,
        End,
        BufferFull,
    }

    /// <summary>Reads the next frame of the open archive into the buffer (a record before <see cref="Position"/> is skipped).</summary>
    private ArchiveRead ReadArchivedRecord()
    {
        Span<byte> frameHeader = _pendingFrameHeader;
        int first;
        if (_hasPendingFrameHeader)
        {
            _hasPendingFrameHeader = false;
            first = frameHeader.Length;
        }
        else
        {
            first = _archive!.ReadAtLeast(frameHeader, frameHeader.Length, throwOnEndOfStream: false);
            if (first == 0)
            {
                return ArchiveRead.End;
            }
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(frameHeader);
        var fileOffset = SegmentFormat.HeaderLength + (_archivePosition - _archives[_archiveIndex - 1].Base);
        if (first < frameHeader.Length || length <= 0 || length > _archiveMaxPayload)
        {
            throw new LogCorruptionException(_archivePath!, fileOffset, "an archived record is malformed");
        }

        var frame = SegmentFormat.FrameHeaderLength + length;
        if (_buffer.Length - _bufferUsed < frame)
        {
            if (_batch.Count > 0)
            {
                // Earlier records of this batch point into the buffer: end the batch here and start the next with this frame.
                _hasPendingFrameHeader = true;
                return ArchiveRead.BufferFull;
            }

            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(frame);
            _bufferUsed = 0;
        }

        var target = _buffer.AsSpan(_bufferUsed, frame);
        frameHeader.CopyTo(target);
        if (!Fill(target[SegmentFormat.FrameHeaderLength..]))
        {
            throw new LogCorruptionException(_archivePath!, fileOffset, "an archived record is cut short");
        }

        if (SegmentFormat.TryReadFrame(target, _archiveMaxPayload, out _) != FrameStatus.Valid)
        {
            throw new LogCorruptionException(_archivePath!, fileOffset, "an archived record fails its checksum");
        }

        var position = _archivePosition;
        _archivePosition += frame;
        if (position >= Position)
        {
            _batch.Add(new LogRecord(position, position + frame, _buffer.AsMemory(_bufferUsed + SegmentFormat.FrameHeaderLength, length)));
            _bufferUsed += frame;
            Position = position + frame;
        }

        return ArchiveRead.Record;
    }

    private bool Fill(Span<byte> destination) =>
        _archive!.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false) == destination.Length;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _archive?.Dispose();
        _live?.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
