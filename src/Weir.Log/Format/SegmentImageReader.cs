using System.Buffers;
using System.Buffers.Binary;

namespace Weir.Log.Format;

/// <summary>
/// Reads a segment image (the 64-byte header, then frames) front to back from a stream: a segment file, or an archive
/// through a decompressing stream, so the erasure handles both the same way. Every frame is verified; anything malformed
/// is a <see cref="LogCorruptionException"/>, since the images it reads were all checked before (at open, or when archived).
/// </summary>
internal sealed class SegmentImageReader : IDisposable
{
    private readonly Stream _source;
    private readonly string _path;
    private readonly long _frameBytes;
    private readonly int _maxPayload;
    private readonly byte[] _header = new byte[SegmentFormat.HeaderLength];
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 << 10);
    private int _frameLength;
    private long _nextOffset = SegmentFormat.HeaderLength;

    /// <param name="source">The image; disposed with the reader.</param>
    /// <param name="path">The file, for error messages.</param>
    /// <param name="basePosition">The base position the header must hold.</param>
    /// <param name="frameBytes">How many bytes of frames to read (a live segment's committed part), or <see cref="long.MaxValue"/> for all of them.</param>
    public SegmentImageReader(Stream source, string path, long basePosition, long frameBytes)
    {
        _source = source;
        _path = path;
        _frameBytes = frameBytes;
        try
        {
            if (source.ReadAtLeast(_header, _header.Length, throwOnEndOfStream: false) != _header.Length
                || SegmentFormat.TryReadHeader(_header, out var header) != HeaderStatus.Valid
                || header.BasePosition != basePosition)
            {
                throw new LogCorruptionException(path, 0, "the segment header is invalid");
            }

            _maxPayload = header.MaxBatchBytes - SegmentFormat.FrameHeaderLength;
            BasePosition = basePosition;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public long BasePosition { get; }

    /// <summary>The header exactly as stored.</summary>
    public ReadOnlySpan<byte> Header => _header;

    /// <summary>The current frame's position.</summary>
    public long Position { get; private set; }

    /// <summary>The current frame (length, checksum, payload), writable so the caller can turn it into a tombstone.</summary>
    public Span<byte> Frame => _buffer.AsSpan(0, _frameLength);

    /// <summary>The current frame's payload.</summary>
    public ReadOnlySpan<byte> Payload => _buffer.AsSpan(SegmentFormat.FrameHeaderLength, _frameLength - SegmentFormat.FrameHeaderLength);

    /// <summary>Moves to the next frame; false at the end of the image (or of the bytes asked for).</summary>
    public bool MoveNext()
    {
        var fileOffset = _nextOffset;
        var consumed = fileOffset - SegmentFormat.HeaderLength;
        if (consumed >= _frameBytes)
        {
            return false;
        }

        var read = _source.ReadAtLeast(_buffer.AsSpan(0, SegmentFormat.FrameHeaderLength), SegmentFormat.FrameHeaderLength, throwOnEndOfStream: false);
        if (read == 0 && _frameBytes == long.MaxValue)
        {
            return false;
        }

        if (read < SegmentFormat.FrameHeaderLength)
        {
            throw new LogCorruptionException(_path, fileOffset, "a record is cut short");
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(_buffer);
        if (length <= 0 || length > _maxPayload || consumed + SegmentFormat.FrameHeaderLength + length > _frameBytes)
        {
            throw new LogCorruptionException(_path, fileOffset, "a record has an impossible length");
        }

        var frame = SegmentFormat.FrameHeaderLength + length;
        if (_buffer.Length < frame)
        {
            var larger = ArrayPool<byte>.Shared.Rent(frame);
            _buffer.AsSpan(0, SegmentFormat.FrameHeaderLength).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        if (_source.ReadAtLeast(_buffer.AsSpan(SegmentFormat.FrameHeaderLength, length), length, throwOnEndOfStream: false) != length)
        {
            throw new LogCorruptionException(_path, fileOffset, "a record is cut short");
        }

        if (SegmentFormat.TryReadFrame(_buffer.AsSpan(0, frame), _maxPayload, out _) != FrameStatus.Valid)
        {
            throw new LogCorruptionException(_path, fileOffset, "a record fails its checksum");
        }

        _frameLength = frame;
        Position = BasePosition + consumed;
        _nextOffset = fileOffset + frame;
        return true;
    }

    public void Dispose()
    {
        _source.Dispose();
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
