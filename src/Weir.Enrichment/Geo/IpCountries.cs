using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace Weir.Enrichment.Geo;

/// <summary>
/// IP address → country (ISO 3166-1 alpha-2), from the ranges of DB-IP's free country database (the npm package
/// <c>@ip-location-db/dbip-country</c>, its <c>-num</c> CSV files: first address, last address, country). IPv6 ranges
/// are kept sorted in arrays and found by binary search; IPv4 ones are laid out per /16 prefix
/// (<see cref="V4Countries"/>); an IPv4-mapped IPv6 address is looked up as IPv4.
/// </summary>
public sealed class IpCountries
{
    private readonly V4Countries _v4;
    private readonly UInt128[] _v6Starts;
    private readonly UInt128[] _v6Ends;
    private readonly ushort[] _v6Countries;
    private readonly string[] _codes;

    private IpCountries(V4Countries v4, UInt128[] v6Starts, UInt128[] v6Ends, ushort[] v6Countries, string[] codes)
    {
        _v4 = v4;
        _v6Starts = v6Starts;
        _v6Ends = v6Ends;
        _v6Countries = v6Countries;
        _codes = codes;
    }

    public int V4Ranges => _v4.Ranges;

    public int V6Ranges => _v6Starts.Length;

    /// <summary>The number of distinct countries: <see cref="LookupIndex"/> answers below it.</summary>
    public int CountryCount => _codes.Length;

    /// <summary>The code of a country index from <see cref="LookupIndex"/>.</summary>
    public string CodeAt(int index) => _codes[index];

    /// <exception cref="InvalidDataException">A line is not "first,last,CC" with first ≤ last, in order.</exception>
    public static IpCountries Load(string v4Path, string v6Path)
    {
        var codes = new List<string>();
        var codeIds = new Dictionary<string, ushort>(StringComparer.Ordinal);
        var (v4Starts, v4Ends, v4Countries) = Read(v4Path, codes, codeIds, static text => uint.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture));
        var (v6Starts, v6Ends, v6Countries) = Read(v6Path, codes, codeIds, static text => UInt128.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture));
        return new IpCountries(new V4Countries(v4Starts, v4Ends, v4Countries), v6Starts, v6Ends, v6Countries, [.. codes]);
    }

    /// <summary>The country of an address given as text (IPv4 dotted or IPv6); null when unknown or not an address.</summary>
    public string? Lookup(ReadOnlySpan<char> address)
    {
        if (TryParseV4(address, out var v4))
        {
            return CodeOrNull(_v4.Find(v4));
        }

        // IPv6 only: IPAddress would also take legacy IPv4 forms such as "1.2.3" (1.2.0.3), which no proxy sends.
        return address.Contains(':') && IPAddress.TryParse(address, out var parsed) ? Lookup(parsed) : null;
    }

    /// <summary>
    /// The country index (see <see cref="CodeAt"/>) of an address given as UTF-8 text; -1 when unknown or not an
    /// address. Dotted IPv4 is parsed from the bytes, with no transcoding.
    /// </summary>
    public int LookupIndex(ReadOnlySpan<byte> address) => EndLookup(BeginLookup(address));

    /// <summary>
    /// The first half of <see cref="LookupIndex"/>, the loader's path: parses the address and, for IPv4, asks the CPU for
    /// the table entry <see cref="EndLookup"/> will read. Work done in between hides the wait for memory.
    /// </summary>
    public PendingCountry BeginLookup(ReadOnlySpan<byte> address)
    {
        if (TryParseV4Utf8(address, out var v4))
        {
            _v4.Prefetch(v4);
            return new PendingCountry(v4, PendingCountry.V4);
        }

        if (address.IndexOf((byte)':') < 0 || address.Length > 64)
        {
            return new PendingCountry(0, -1);
        }

        Span<char> text = stackalloc char[64];
        var length = System.Text.Encoding.UTF8.GetChars(address, text);
        return new PendingCountry(0, IPAddress.TryParse(text[..length], out var parsed) ? IndexOf(parsed) : -1);
    }

    /// <summary>
    /// The optional middle step, some work after <see cref="BeginLookup"/>: reads the IPv4 prefix entry the CPU has
    /// loaded meanwhile and, when the prefix is split between countries, asks for the entry of the address's /24 block,
    /// so that <see cref="EndLookup"/> finds that one loaded too.
    /// </summary>
    public PendingCountry ContinueLookup(PendingCountry pending) =>
        pending.Index == PendingCountry.V4 ? new PendingCountry(pending.Address, PendingCountry.V4Read, _v4.ReadPrefix(pending.Address)) : pending;

    /// <summary>The country index of a <see cref="BeginLookup"/>, -1 when unknown or not an address.</summary>
    public int EndLookup(PendingCountry pending) => pending.Index switch
    {
        PendingCountry.V4 => _v4.Find(pending.Address),
        PendingCountry.V4Read => _v4.Find(pending.Address, pending.Entry),
        _ => pending.Index,
    };

    public string? Lookup(IPAddress address) => CodeOrNull(IndexOf(address));

    private string? CodeOrNull(int index) => index < 0 ? null : _codes[index];

    private int IndexOf(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return _v4.Find(BinaryPrimitives.ReadUInt32BigEndian(bytes));
        }

        address.TryWriteBytes(bytes, out _);
        return FindV6(BinaryPrimitives.ReadUInt128BigEndian(bytes));
    }

    private int FindV6(UInt128 address)
    {
        // The last range that starts at or before the address, if it reaches it.
        var starts = _v6Starts;
        int low = 0, high = starts.Length - 1, found = -1;
        while (low <= high)
        {
            var mid = low + ((high - low) >> 1);
            if (starts[mid] <= address)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return found >= 0 && _v6Ends[found] >= address ? _v6Countries[found] : -1;
    }

    /// <summary>
    /// <see cref="TryParseV4{TChar}"/> for UTF-8, the loader's path, without a branch per character: a vector compare
    /// finds the dots and checks that every other byte is a digit, and each part's value is its three leading bytes
    /// weighted by the part's length. The same answers as the loop (a test compares them).
    /// </summary>
    internal static bool TryParseV4Utf8(ReadOnlySpan<byte> text, out uint address)
    {
        address = 0;
        var length = text.Length;
        if ((uint)(length - 7) > 8)
        {
            return false; // shorter than "1.2.3.4" or longer than "255.255.255.255"
        }

        // Two bytes past the sixteen the vector reads, so that a part's three leading bytes can always be read; the
        // padding is zero, neither a digit nor a dot.
        Span<byte> bytes = stackalloc byte[18];
        bytes.Clear();
        text.CopyTo(bytes);
        var vector = Vector128.Create((ReadOnlySpan<byte>)bytes);
        var inText = (1u << length) - 1;
        var digits = Vector128.LessThan(vector - Vector128.Create((byte)'0'), Vector128.Create((byte)10)).ExtractMostSignificantBits() & inText;
        var dots = Vector128.Equals(vector, Vector128.Create((byte)'.')).ExtractMostSignificantBits() & inText;
        if ((digits | dots) != inText || BitOperations.PopCount(dots) != 3)
        {
            return false;
        }

        var first = BitOperations.TrailingZeroCount(dots);
        dots &= dots - 1;
        var second = BitOperations.TrailingZeroCount(dots);
        var third = BitOperations.TrailingZeroCount(dots & (dots - 1));
        var a = Part(bytes, 0, first);
        var b = Part(bytes, first + 1, second - first - 1);
        var c = Part(bytes, second + 1, third - second - 1);
        var d = Part(bytes, third + 1, length - third - 1);
        if ((a | b | c | d) > 255)
        {
            return false; // a part over 255, or of no digits or more than three (Part answers 256 for those)
        }

        address = (uint)((a << 24) | (b << 16) | (c << 8) | d);
        return true;
    }

    /// <summary>The value of the part of 1–3 digits at <paramref name="start"/>; 256 for any other length.</summary>
    private static int Part(ReadOnlySpan<byte> bytes, int start, int length)
    {
        if ((uint)(length - 1) > 2)
        {
            return 256;
        }

        // Weights by length (1: x; 2: 10x + y; 3: 100x + 10y + z): the bytes past the part are multiplied by zero.
        ReadOnlySpan<byte> weights = [1, 0, 0, 10, 1, 0, 100, 10, 1];
        var w = weights.Slice((length - 1) * 3, 3);
        return ((bytes[start] - '0') * w[0]) + ((bytes[start + 1] - '0') * w[1]) + ((bytes[start + 2] - '0') * w[2]);
    }

    /// <summary>A dotted IPv4 address of exactly four decimal parts of at most three digits each, up to 255, as UTF-16 or UTF-8.</summary>
    internal static bool TryParseV4<TChar>(ReadOnlySpan<TChar> text, out uint address) where TChar : unmanaged, IBinaryInteger<TChar>
    {
        address = 0;
        var part = 0;
        var digits = 0;
        var parts = 0;
        foreach (var unit in text)
        {
            var c = (char)int.CreateTruncating(unit);
            if (c == '.')
            {
                if (digits == 0 || ++parts == 4)
                {
                    return false;
                }

                address = (address << 8) | (uint)part;
                part = 0;
                digits = 0;
            }
            else if (char.IsAsciiDigit(c) && digits < 3)
            {
                part = (part * 10) + (c - '0');
                digits++;
                if (part > 255)
                {
                    return false;
                }
            }
            else
            {
                return false;
            }
        }

        if (digits == 0 || parts != 3)
        {
            return false;
        }

        address = (address << 8) | (uint)part;
        return true;
    }

    private static (T[] Starts, T[] Ends, ushort[] Countries) Read<T>(string path, List<string> codes, Dictionary<string, ushort> codeIds, Func<string, T> parse)
        where T : IComparable<T>
    {
        var starts = new List<T>();
        var ends = new List<T>();
        var countries = new List<ushort>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            var first = line.IndexOf(',', StringComparison.Ordinal);
            var second = first < 0 ? -1 : line.IndexOf(',', first + 1);
            T start, end;
            try
            {
                if (second < 0)
                {
                    throw new FormatException("it has fewer than three fields");
                }

                start = parse(line[..first]);
                end = parse(line[(first + 1)..second]);
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new InvalidDataException($"{path}, line {number}: not \"first,last,country\" ({e.Message})", e);
            }

            var code = line[(second + 1)..].Trim();
            if (start.CompareTo(end) > 0 || (starts.Count > 0 && start.CompareTo(ends[^1]) <= 0) || code.Length != 2)
            {
                throw new InvalidDataException($"{path}, line {number}: a range out of order, overlapping the previous one, or without a two-letter country");
            }

            if (!codeIds.TryGetValue(code, out var id))
            {
                id = (ushort)codes.Count;
                codes.Add(code);
                codeIds.Add(code, id);
            }

            starts.Add(start);
            ends.Add(end);
            countries.Add(id);
        }

        return ([.. starts], [.. ends], [.. countries]);
    }
}

/// <summary>An address between <see cref="IpCountries.BeginLookup"/> and <see cref="IpCountries.EndLookup"/>.</summary>
public readonly struct PendingCountry
{
    internal const int V4 = -2;
    internal const int V4Read = -3;

    internal PendingCountry(uint address, int index, ushort entry = 0)
    {
        Address = address;
        Index = index;
        Entry = entry;
    }

    internal uint Address { get; }

    /// <summary>The prefix table's entry, once <see cref="Index"/> is <see cref="V4Read"/>.</summary>
    internal ushort Entry { get; }

    /// <summary>
    /// The country index when already known (-1 for none), or <see cref="V4"/>: <see cref="Address"/> is to be looked
    /// up, or <see cref="V4Read"/>: to be looked up from <see cref="Entry"/>.
    /// </summary>
    internal int Index { get; }
}
