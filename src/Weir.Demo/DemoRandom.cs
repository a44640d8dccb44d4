using System.Runtime.CompilerServices;

namespace Weir.Demo;

/// <summary>
/// xorshift64* with a splitmix64 seed: fast, and the same sequence on every runtime and platform, which
/// <see cref="Random"/> does not promise across .NET versions. Not for anything secret.
/// </summary>
internal struct DemoRandom
{
    private ulong _state;

    public DemoRandom(ulong seed) => _state = Mix(seed) | 1;

    /// <summary>Where the sequence is; <see cref="FromState"/> continues it from there.</summary>
    public readonly ulong State => _state;

    /// <summary>The sequence continued from a <see cref="State"/>, so a stretch of it can be drawn again.</summary>
    public static DemoRandom FromState(ulong state)
    {
        var random = default(DemoRandom);
        random._state = state;
        return random;
    }

    /// <summary>A well-spread 64-bit value of <paramref name="x"/> (splitmix64's finaliser), for ids.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return _state * 0x2545F4914F6CDD1DUL;
    }

    /// <summary>Uniform in [0, 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, <paramref name="max"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Next(int max) => (int)((NextUInt64() >> 33) * (ulong)max >> 31);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Chance(double probability) => NextDouble() < probability;

    /// <summary>Exponentially distributed with the given mean.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Exponential(double mean) => -mean * Math.Log(1.0 - NextDouble());

    /// <summary>An index drawn from cumulative weights (ascending, last = total).</summary>
    public int Pick(double[] cumulative)
    {
        var x = NextDouble() * cumulative[^1];
        var index = Array.BinarySearch(cumulative, x);
        index = index < 0 ? ~index : index + 1;
        return Math.Min(index, cumulative.Length - 1);
    }
}
