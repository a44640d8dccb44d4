using System.Runtime.CompilerServices;
using Weir.Core.Memory;

namespace Weir.Enrichment.Geo;

/// <summary>
/// IPv4 ranges laid out for lookups that touch little memory. The address space is cut into its 65 536 /16 prefixes.
/// Most prefixes lie wholly in one country (or in none): a table of one <see cref="ushort"/> per prefix (128 KiB)
/// answers for them with one read, which <see cref="Prefetch"/> can start early. The other prefixes are cut into
/// segments where the country is the same, and a lookup searches only its prefix's segments, which lie next to each
/// other. A search over all the ranges cost a cache miss per step instead.
/// </summary>
/// <remarks>
/// A segment is one <see cref="uint"/>: the low 16 bits of its first address in the upper half, the country index in
/// the lower half (<see cref="None"/> where no range covers it). A split prefix's first segment starts at its first
/// address, and neighbouring segments of the same country are merged. DB-IP's data has about 12 700 split prefixes
/// (a fifth of the addresses in use) in about 1.5 MB of segments.
/// </remarks>
internal sealed class V4Countries
{
    /// <summary>The country index of addresses no range covers.</summary>
    public const ushort None = ushort.MaxValue - 1;

    /// <summary>In the prefix table: the prefix is cut into segments.</summary>
    private const ushort Split = ushort.MaxValue;

    private const int PrefixCount = 1 << 16;

    // A prefix's country, None, or Split.
    private readonly ushort[] _prefixes = new ushort[PrefixCount];

    // Split prefix p's segments are _segments[_offsets[p].._offsets[p + 1]]; other prefixes have none.
    private readonly int[] _offsets = new int[PrefixCount + 1];
    private readonly uint[] _segments;

    /// <param name="starts">The ranges' first addresses, ascending.</param>
    /// <param name="ends">Their last addresses; no range overlaps the next.</param>
    /// <param name="countries">Their country indexes, below <see cref="None"/>.</param>
    public V4Countries(uint[] starts, uint[] ends, ushort[] countries)
    {
        Ranges = starts.Length;
        var segments = new List<uint>(starts.Length);
        var prefix = 0; // the prefix being cut; the ones before it are done
        var first = 0; // where its segments start in the list
        ulong next = 0;
        for (var i = 0; i < starts.Length; i++)
        {
            if (countries[i] >= None)
            {
                throw new ArgumentOutOfRangeException(nameof(countries), $"A country index must be below {None}.");
            }

            if (starts[i] > next)
            {
                Add(next, starts[i] - 1UL, None);
            }

            Add(starts[i], ends[i], countries[i]);
            next = ends[i] + 1UL;
        }

        if (next <= uint.MaxValue)
        {
            Add(next, uint.MaxValue, None);
        }

        Close();
        _segments = [.. segments];

        // Adds [from, to] of one country, cut at the prefixes it crosses.
        void Add(ulong from, ulong to, ushort country)
        {
            while (from <= to)
            {
                var p = (int)(from >> 16);
                while (prefix < p)
                {
                    Close();
                }

                // A segment of the same country as the one before it in the prefix extends that one.
                if (segments.Count == first || (ushort)segments[^1] != country)
                {
                    segments.Add(((uint)(from & 0xFFFF) << 16) | country);
                }

                from = Math.Min(to, ((ulong)p << 16) | 0xFFFF) + 1;
            }
        }

        // Ends the current prefix: in one segment it is whole, and the table holds its country instead.
        void Close()
        {
            if (segments.Count - first == 1)
            {
                _prefixes[prefix] = (ushort)segments[first];
                segments.RemoveAt(first);
            }
            else
            {
                _prefixes[prefix] = Split;
            }

            _offsets[++prefix] = first = segments.Count;
        }
    }

    /// <summary>The number of ranges the table was made from.</summary>
    public int Ranges { get; }

    /// <summary>Asks the CPU to start loading the prefix table's entry for <paramref name="address"/>, which <see cref="Find"/> reads first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(uint address) => CpuCache.Prefetch(ref _prefixes[address >> 16]);

    /// <summary>The country index of <paramref name="address"/>, or -1 when no range covers it.</summary>
    public int Find(uint address)
    {
        var prefix = (int)(address >> 16);
        var country = _prefixes[prefix];
        if (country == Split)
        {
            country = Search(prefix, address);
        }

        return country == None ? -1 : country;
    }

    private ushort Search(int prefix, uint address)
    {
        var low = _offsets[prefix];
        var high = _offsets[prefix + 1] - 1;
        // The last segment starting at or before the address: the first one starts at the prefix's first address, so
        // there is always one. As a key, the address's low half with every country bit set sorts after each such one.
        var key = (address << 16) | 0xFFFF;
        var segments = _segments;
        while (low < high)
        {
            var mid = (low + high + 1) >> 1;
            if (segments[mid] <= key)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }

        return (ushort)segments[low];
    }
}
