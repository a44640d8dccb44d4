using System.Buffers.Binary;
using System.Numerics;

namespace Weir.Lake.Loading;

/// <summary>
/// A 128-bit hash of (site id, message id), the key of the de-duplication window. 128 bits keep the chance that two
/// different events of a week collide, and one is dropped as a duplicate of the other, below one in 10^20 even at a
/// billion events; the window stores the hash instead of the id, so its size does not depend on how long ids are.
/// </summary>
/// <remarks>
/// Two 64-bit lanes with different multipliers absorb eight bytes at a time; each is finished with a multiply–xorshift
/// avalanche. The function is fixed (no per-process seed) because hashes are persisted and compared across restarts,
/// and an attacker who knows it can only make events of their own site collide with each other.
/// </remarks>
internal static class MessageIdHash
{
    private const ulong K1 = 0x9E3779B97F4A7C15;
    private const ulong K2 = 0xC2B2AE3D27D4EB4F;
    private const ulong K3 = 0x94D049BB133111EB;

    public static UInt128 Compute(ReadOnlySpan<byte> siteId, ReadOnlySpan<byte> messageId)
    {
        ulong a = 0x243F6A8885A308D3;
        ulong b = 0x13198A2E03707344;
        Absorb(ref a, ref b, siteId);
        // The site id's length separates the two parts, so ("ab", "c") and ("a", "bc") differ.
        a ^= (ulong)siteId.Length * K3;
        Absorb(ref a, ref b, messageId);
        a ^= (ulong)messageId.Length;
        b ^= a;
        var high = Avalanche(a + b);
        var low = Avalanche(b ^ (a * K2));
        return new UInt128(high, low);
    }

    private static void Absorb(ref ulong a, ref ulong b, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            Step(ref a, ref b, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        if (!data.IsEmpty)
        {
            // The tail, padded with its length in the top byte so "a" and "a\0" differ.
            Span<byte> tail = stackalloc byte[8];
            tail.Clear();
            data.CopyTo(tail);
            tail[7] = (byte)(0x80 | data.Length);
            Step(ref a, ref b, BinaryPrimitives.ReadUInt64LittleEndian(tail));
        }
    }

    private static void Step(ref ulong a, ref ulong b, ulong word)
    {
        a = BitOperations.RotateLeft((a ^ word) * K1, 31);
        b = BitOperations.RotateLeft((b + word) * K2, 27) ^ a;
    }

    private static ulong Avalanche(ulong x)
    {
        x ^= x >> 31;
        x *= K3;
        x ^= x >> 29;
        x *= K1;
        x ^= x >> 32;
        return x;
    }
}
