using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Weir.Bench.DuckDb;

/// <summary>
/// Characters in valid UTF-8, counted the way DuckDB's length() counts them: every byte that is not a continuation
/// byte (10xxxxxx) starts a code point. Eight bytes at a time.
/// </summary>
internal static class Utf8CodePoints
{
    private const ulong HighBits = 0x8080_8080_8080_8080UL;

    public static int Count(ReadOnlySpan<byte> utf8)
    {
        var length = utf8.Length;
        if (length < sizeof(ulong))
        {
            var few = 0;
            foreach (var b in utf8)
            {
                few += (b & 0xC0) == 0x80 ? 1 : 0;
            }

            return length - few;
        }

        ref var start = ref MemoryMarshal.GetReference(utf8);
        var continuation = 0;
        var i = 0;
        for (; i + sizeof(ulong) <= length; i += sizeof(ulong))
        {
            continuation += Continuations(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i)));
        }

        var tail = length - i;
        if (tail > 0)
        {
            // The last eight bytes, shifted so that only the ones not yet counted remain: no byte-by-byte loop.
            var last = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, length - sizeof(ulong)));
            continuation += Continuations(last >> ((sizeof(ulong) - tail) * 8));
        }

        return length - continuation;
    }

    /// <summary>Checks the counter against .NET's own on strings of every tail length, ASCII and not.</summary>
    public static void SelfCheck()
    {
        string[] samples = ["", "a", "ö", "→✓", "visitor-0012345-42", "visitör-0012345-42-ö", "ééééééééééééééééé", "日本語のテキスト…"];
        foreach (var sample in samples)
        {
            for (var cut = 0; cut <= sample.Length; cut++)
            {
                var text = sample[..cut];
                if (char.IsHighSurrogate(text.Length > 0 ? text[^1] : 'a'))
                {
                    continue;
                }

                var bytes = System.Text.Encoding.UTF8.GetBytes(text);
                if (Count(bytes) != System.Text.Encoding.UTF8.GetCharCount(bytes))
                {
                    throw new InvalidOperationException($"Utf8CodePoints.Count is wrong for '{text}'.");
                }
            }
        }
    }

    // Bit 7 set and bit 6 clear marks a continuation byte; shifting left puts each byte's bit 6 under its bit 7.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Continuations(ulong word) => BitOperations.PopCount(word & ~(word << 1) & HighBits);
}
