using System.Runtime.CompilerServices;
using Weir.Core.Memory;

namespace Weir.Enrichment.Geo;

/// <summary>
/// IPv4 ranges laid out for lookups that touch little memory. The address space is cut into its 65 536 /16 prefixes.
/// Most prefixes lie wholly in one country (or in none): a table of one <see cref="ushort"/> per prefix (128 KiB)
/// answers for them with one read, which <see cref="Prefetch"/> can start early. A prefix cut by a range boundary has
/// a byte per /24 block instead, read next; only a block that is itself cut is searched for, among the segments of its
/// prefix, which lie next to each other. A binary search over all the ranges cost a cache miss per step instead.
/// </summary>
/// <remarks>
/// A segment is one <see cref="uint"/>: the low 16 bits of its first address in the upper half, the country index in
/// the lower half (<see cref="None"/> where no range covers it). A split prefix's first segment starts at its first
/// address, and neighbouring segments of the same country are merged. DB-IP's data has about 12 700 split prefixes
/// (3.2 MB of blocks, 1.5 MB of segments); about 1 % of their blocks are cut.
/// </remarks>
internal sealed class V4Countries
{
    /// <summary>The country index of addresses no range covers.</summary>
    public const ushort None = 0x7FFE;

    /// <summary>In the prefix table: a split prefix without blocks (beyond the first 32 768 split ones), always searched.</summary>
    private const ushort SearchOnly = 0x7FFF;

    /// <summary>In the prefix table, from this value up: a split prefix, whose blocks start at (value − SplitBase) × 256.</summary>
    private const ushort SplitBase = 0x8000;

    private const byte BlockNone = 254;
    private const byte BlockCut = 255;
    private const int PrefixCount = 1 << 16;

    // A prefix's country, None, SearchOnly, or SplitBase + its number among the split prefixes.
    private readonly ushort[] _prefixes = new ushort[PrefixCount];

    // The split prefixes' /24 blocks: a country index below BlockNone, BlockNone, or BlockCut (searched).
    private readonly byte[] _blocks;

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
        var splits = 0;
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
        _blocks = new byte[Math.Min(splits, SplitBase) * 256];
        for (var p = 0; p < PrefixCount; p++)
        {
            if (_prefixes[p] >= SplitBase)
            {
                FillBlocks(p, _blocks.AsSpan((_prefixes[p] - SplitBase) * 256, 256));
            }
        }

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
                _prefixes[prefix] = splits < SplitBase ? (ushort)(SplitBase + splits) : SearchOnly;
                splits++;
            }

            _offsets[++prefix] = first = segments.Count;
        }
    }

    /// <summary>The number of ranges the table was made from.</summary>
    public int Ranges { get; }

    /// <summary>Asks the CPU to start loading the prefix table's entry for <paramref name="address"/>, which <see cref="Find(uint)"/> reads first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(uint address) => CpuCache.Prefetch(ref _prefixes[address >> 16]);

    /// <summary>
    /// Reads the prefix table's entry for <paramref name="address"/> (see <see cref="Prefetch"/>) and, when the prefix is
    /// split, asks the CPU for the block's entry, which <see cref="Find(uint, ushort)"/> reads next.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ushort ReadPrefix(uint address)
    {
        var entry = _prefixes[address >> 16];
        if (entry >= SplitBase)
        {
            CpuCache.Prefetch(ref _blocks[BlockIndex(entry, address)]);
        }

        return entry;
    }

    /// <summary>The country index of <paramref name="address"/>, or -1 when no range covers it.</summary>
    public int Find(uint address) => Find(address, _prefixes[address >> 16]);

    /// <summary>The country index of <paramref name="address"/>, whose prefix entry <see cref="ReadPrefix"/> gave.</summary>
    public int Find(uint address, ushort entry)
    {
        var prefix = (int)(address >> 16);
        var country = entry;
        if (country >= SearchOnly)
        {
            var block = country == SearchOnly ? BlockCut : _blocks[BlockIndex(country, address)];
            country = block switch
            {
                BlockCut => Search(prefix, address),
                BlockNone => None,
                _ => block,
            };
        }

        return country == None ? -1 : country;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BlockIndex(ushort entry, uint address) => ((entry - SplitBase) << 8) | (int)((address >> 8) & 0xFF);

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

    /// <summary>Sets a split prefix's 256 blocks from its segments.</summary>
    private void FillBlocks(int prefix, Span<byte> blocks)
    {
        var first = _offsets[prefix];
        var count = _offsets[prefix + 1] - first;
        var segment = 0;
        for (var block = 0; block < 256; block++)
        {
            var blockStart = (uint)block << 8;
            // The segment holding the block's first address: the last one starting at or before it.
            while (segment + 1 < count && _segments[first + segment + 1] >> 16 <= blockStart)
            {
                segment++;
            }

            // Cut when the next segment starts inside the block.
            var cut = segment + 1 < count && _segments[first + segment + 1] >> 16 <= blockStart + 0xFF;
            var country = (ushort)_segments[first + segment];
            blocks[block] = country == None ? (cut ? BlockCut : BlockNone) : cut || country >= BlockNone ? BlockCut : (byte)country;
        }
    }
}
