using System.Buffers.Binary;
using System.Globalization;

namespace Weir.Log.Format;

/// <summary>
/// The on-disk layout of a segment file: a 64-byte header, then frames back to back.
/// <code>
/// header  0  8  magic "WEIRLOG\n"
///         8  4  format version (1)
///        12  4  header length (64)
///        16  8  base position: the log position of the first byte after the header
///        24  8  previous end: where the segment before this one ended (equal to base unless appends were discarded)
///        32  4  max batch bytes of the writer that created the segment (bounds a torn tail)
///        36  4  reserved, zero
///        40  8  creation time, Unix milliseconds
///        48 12  reserved, zero
///        60  4  CRC-32C of bytes 0..59
/// frame   0  4  payload length n (1..2^31-1), little-endian
///         4  4  CRC-32C over the 4 length bytes and the payload
///         8  n  payload
/// </code>
/// All integers are little-endian. A frame's position is the segment's base plus the frame's offset after the header.
/// </summary>
internal static class SegmentFormat
{
    public const int HeaderLength = 64;
    public const int FrameHeaderLength = 8;
    public const int Version = 1;
    public const string Extension = ".wlog";
    public const string TempExtension = ".tmp";

    public static ReadOnlySpan<byte> Magic => "WEIRLOG\n"u8;

    /// <summary>The file name of the segment whose base position is <paramref name="basePosition"/>: 20 decimal digits.</summary>
    public static string FileName(long basePosition) =>
        basePosition.ToString("D20", CultureInfo.InvariantCulture) + Extension;

    /// <summary>Parses a segment file name back to its base position.</summary>
    public static bool TryParseFileName(string fileName, out long basePosition)
    {
        basePosition = 0;
        return fileName.Length == 20 + Extension.Length
            && fileName.EndsWith(Extension, StringComparison.Ordinal)
            && long.TryParse(fileName.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out basePosition);
    }

    public static void WriteHeader(Span<byte> destination, in SegmentHeader header)
    {
        destination = destination[..HeaderLength];
        destination.Clear();
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], HeaderLength);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], header.BasePosition);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], header.PreviousEnd);
        BinaryPrimitives.WriteInt32LittleEndian(destination[32..], header.MaxBatchBytes);
        BinaryPrimitives.WriteInt64LittleEndian(destination[40..], header.CreatedUnixMilliseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[60..], Crc32C.Compute(destination[..60]));
    }

    /// <summary>Decodes a header. Never throws: anything malformed is a status.</summary>
    public static HeaderStatus TryReadHeader(ReadOnlySpan<byte> source, out SegmentHeader header)
    {
        header = default;
        if (source.Length < HeaderLength)
        {
            return HeaderStatus.Incomplete;
        }

        if (!source[..8].SequenceEqual(Magic))
        {
            return HeaderStatus.BadMagic;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(source[60..]) != Crc32C.Compute(source[..60]))
        {
            return HeaderStatus.BadChecksum;
        }

        if (BinaryPrimitives.ReadInt32LittleEndian(source[8..]) != Version
            || BinaryPrimitives.ReadInt32LittleEndian(source[12..]) != HeaderLength)
        {
            return HeaderStatus.UnsupportedVersion;
        }

        var basePosition = BinaryPrimitives.ReadInt64LittleEndian(source[16..]);
        var previousEnd = BinaryPrimitives.ReadInt64LittleEndian(source[24..]);
        var maxBatch = BinaryPrimitives.ReadInt32LittleEndian(source[32..]);
        if (basePosition < 0 || previousEnd < 0 || previousEnd > basePosition || maxBatch <= FrameHeaderLength)
        {
            return HeaderStatus.BadValues;
        }

        header = new SegmentHeader(basePosition, previousEnd, maxBatch, BinaryPrimitives.ReadInt64LittleEndian(source[40..]));
        return HeaderStatus.Valid;
    }

    /// <summary>Writes one frame (length, checksum, payload) and returns its length.</summary>
    public static int WriteFrame(Span<byte> destination, ReadOnlySpan<byte> payload, uint crc)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], crc);
        payload.CopyTo(destination[FrameHeaderLength..]);
        return FrameHeaderLength + payload.Length;
    }

    /// <summary>
    /// Decodes the frame at the start of <paramref name="source"/>. Never throws and never reads past the span:
    /// a frame that does not fit is <see cref="FrameStatus.Incomplete"/>, a length outside 1..<paramref name="maxPayload"/>
    /// is <see cref="FrameStatus.BadLength"/>, and a checksum mismatch is <see cref="FrameStatus.BadChecksum"/>.
    /// </summary>
    public static FrameStatus TryReadFrame(ReadOnlySpan<byte> source, int maxPayload, out int payloadLength)
    {
        payloadLength = 0;
        if (source.Length < FrameHeaderLength)
        {
            return FrameStatus.Incomplete;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(source);
        if (length <= 0 || length > maxPayload)
        {
            return FrameStatus.BadLength;
        }

        if (source.Length - FrameHeaderLength < length)
        {
            return FrameStatus.Incomplete;
        }

        var stored = BinaryPrimitives.ReadUInt32LittleEndian(source[4..]);
        if (stored != Crc32C.ComputeFrame(source.Slice(FrameHeaderLength, length)))
        {
            return FrameStatus.BadChecksum;
        }

        payloadLength = length;
        return FrameStatus.Valid;
    }
}

/// <summary>A decoded segment header.</summary>
internal readonly record struct SegmentHeader(long BasePosition, long PreviousEnd, int MaxBatchBytes, long CreatedUnixMilliseconds);

internal enum HeaderStatus
{
    Valid,
    Incomplete,
    BadMagic,
    BadChecksum,
    UnsupportedVersion,
    BadValues,
}

internal enum FrameStatus
{
    Valid,
    Incomplete,
    BadLength,
    BadChecksum,
}
