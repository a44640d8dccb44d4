using System.Buffers.Binary;

namespace Weir.Log.Format;

/// <summary>
/// A consumer's checkpoint file, <c>consumers/&lt;name&gt;.ckpt</c>: 32 bytes.
/// <code>
///  0 8 magic "WEIRCKP\n"   8 4 version (1)   12 4 reserved   16 8 position   24 4 CRC-32C of bytes 0..23   28 4 reserved
/// </code>
/// It is replaced atomically: written to a temporary file, fsync'd, renamed over the old one, and the directory fsync'd.
/// </summary>
internal static class CheckpointFormat
{
    public const int Length = 32;
    public const string Extension = ".ckpt";

    public static ReadOnlySpan<byte> Magic => "WEIRCKP\n"u8;

    public static void Write(Span<byte> destination, long position)
    {
        destination = destination[..Length];
        destination.Clear();
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], 1);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], position);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[24..], Crc32C.Compute(destination[..24]));
    }

    public static bool TryRead(ReadOnlySpan<byte> source, out long position)
    {
        position = 0;
        if (source.Length != Length
            || !source[..8].SequenceEqual(Magic)
            || BinaryPrimitives.ReadInt32LittleEndian(source[8..]) != 1
            || BinaryPrimitives.ReadUInt32LittleEndian(source[24..]) != Crc32C.Compute(source[..24]))
        {
            return false;
        }

        position = BinaryPrimitives.ReadInt64LittleEndian(source[16..]);
        return position >= 0;
    }

    /// <summary>Consumer names become file names, so they are limited to 1–64 of [A-Za-z0-9_.-], not starting with a dot.</summary>
    public static bool IsValidName(string name)
    {
        if (name.Length is 0 or > 64 || name[0] == '.')
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}
