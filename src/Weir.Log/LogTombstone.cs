using System.Buffers.Binary;
using Weir.Log.Format;

namespace Weir.Log;

/// <summary>
/// What an erased record looks like: a payload of the same length as the original, every byte an ASCII space (0x20).
/// </summary>
/// <remarks>
/// Keeping the length keeps every position where it was, so checkpoints, the lake's watermark and file names that hold
/// positions stay valid after an erasure, and the frame still passes its (recomputed) checksum: readers and recovery see an
/// ordinary record. Consumers skip it with <see cref="IsErased"/>.
/// <para>
/// <see cref="IsErased"/> looks at the first byte only. That is enough because the log's payloads are UTF-8 JSON objects,
/// which start with <c>{</c>, never with a space. A log that stores payloads which may start with a space cannot tell them
/// from tombstones, and <see cref="DurableLog.EraseAsync"/> would skip them.
/// </para>
/// </remarks>
public static class LogTombstone
{
    /// <summary>The byte a tombstone's payload is filled with: an ASCII space.</summary>
    public const byte Filler = 0x20;

    /// <summary>Whether <paramref name="payload"/> is a tombstone, that is, the record was erased.</summary>
    public static bool IsErased(ReadOnlySpan<byte> payload) => !payload.IsEmpty && payload[0] == Filler;

    /// <summary>Turns a whole frame (length, checksum, payload) into a tombstone of the same length, checksum recomputed.</summary>
    internal static void Overwrite(Span<byte> frame)
    {
        var payload = frame[SegmentFormat.FrameHeaderLength..];
        payload.Fill(Filler);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], Crc32C.ComputeFrame(payload));
    }
}
