using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Weir.Log.Format;

/// <summary>
/// CRC-32C (Castagnoli), computed with the processor's CRC32 instruction through <see cref="BitOperations.Crc32C(uint, ulong)"/>,
/// eight bytes at a time. Standard parameters: initial value and final xor 0xFFFFFFFF, so "123456789" gives 0xE3069283.
/// Public because Weir's other durable files (the lake's de-duplication files) check themselves the same way.
/// </summary>
public static class Crc32C
{
    /// <summary>The checksum of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(~0u, data);

    /// <summary>Feeds <paramref name="data"/> into a running (not yet inverted) checksum.</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        ref var start = ref MemoryMarshal.GetReference(data);
        nuint length = (uint)data.Length;
        nuint offset = 0;
        while (length - offset >= 8)
        {
            var word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset));
            crc = BitOperations.Crc32C(crc, BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word));
            offset += 8;
        }

        if (length - offset >= 4)
        {
            var word = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, offset));
            crc = BitOperations.Crc32C(crc, BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word));
            offset += 4;
        }

        while (offset < length)
        {
            crc = BitOperations.Crc32C(crc, Unsafe.Add(ref start, offset));
            offset++;
        }

        return crc;
    }

    /// <summary>The checksum a frame stores: it covers the four length bytes (little-endian) and then the payload.</summary>
    public static uint ComputeFrame(ReadOnlySpan<byte> payload)
    {
        var crc = BitOperations.Crc32C(~0u, (uint)payload.Length);
        return ~Update(crc, payload);
    }
}
