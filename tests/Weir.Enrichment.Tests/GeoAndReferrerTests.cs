using Weir.Enrichment.Geo;
using Weir.Enrichment.Referrers;

namespace Weir.Enrichment.Tests;

/// <summary>IP ranges at their boundaries and referrer classes, on the data the build ships.</summary>
public sealed class GeoAndReferrerTests
{
    private static readonly IpCountries Countries = EnrichmentData.Default.Countries;
    private static readonly ReferrerSources Referrers = EnrichmentData.Default.Referrers;

    /// <summary>The first lines of the shipped IPv4 and IPv6 files, read here, give the boundaries to probe.</summary>
    [Fact]
    public void Addresses_at_the_edges_of_ranges_fall_in_the_right_one()
    {
        var v4 = FirstRanges<uint>("dbip-country-ipv4-num.csv");
        foreach (var (start, end, country) in v4)
        {
            Assert.Equal(country, Countries.Lookup(V4(start)));
            Assert.Equal(country, Countries.Lookup(V4(end)));
            Assert.Equal(country, Countries.Lookup("::ffff:" + V4(end)));
        }

        // Just before the first range: no country.
        Assert.Null(Countries.Lookup(V4(v4[0].Start - 1)));

        foreach (var (start, end, country) in FirstRanges<UInt128>("dbip-country-ipv6-num.csv"))
        {
            Assert.Equal(country, Countries.Lookup(V6(start)));
            Assert.Equal(country, Countries.Lookup(V6(end)));
        }
    }

    /// <summary>
    /// The loader's path (UTF-8 bytes, a table of /16 prefixes wholly in one country, then the search) agrees with the
    /// text path on the ranges' edges, on addresses inside every /16 and on random ones.
    /// </summary>
    [Fact]
    public void Lookups_from_bytes_agree_with_lookups_from_text()
    {
        var random = new Random(6);
        var addresses = new List<string>();
        foreach (var (start, end, _) in FirstRanges<uint>("dbip-country-ipv4-num.csv"))
        {
            addresses.AddRange([V4(start), V4(end), V4(start - 1), V4(end + 1)]);
        }

        for (var prefix = 0u; prefix < 1 << 16; prefix += 7)
        {
            addresses.Add(V4((prefix << 16) | (uint)random.Next(1 << 16)));
        }

        for (var i = 0; i < 20_000; i++)
        {
            addresses.Add(V4((uint)random.NextInt64(1L << 32)));
        }

        addresses.AddRange(["::ffff:8.8.8.8", "2001:4860:4860::8888", "::1", "1.2.3", "", "999.1.1.1", "1.2.3.4.5"]);
        foreach (var address in addresses)
        {
            var index = Countries.LookupIndex(System.Text.Encoding.UTF8.GetBytes(address));
            Assert.Equal(Countries.Lookup(address), index < 0 ? null : Countries.CodeAt(index));
        }
    }

    /// <summary>
    /// The per-prefix tables (a country per /16 prefix, a byte per /24 block of a split prefix, segments for the blocks
    /// cut by a range boundary) answer as a plain binary search over every IPv4 range of the shipped file does: at both
    /// edges of every range, just outside each, and at random addresses.
    /// </summary>
    [Fact]
    public void IPv4_lookups_agree_with_a_search_over_every_range()
    {
        var ranges = FirstRanges<uint>("dbip-country-ipv4-num.csv", count: int.MaxValue);
        Assert.True(ranges.Count > 100_000, $"{ranges.Count} ranges");
        AssertAgreesWithSearch(Countries, ranges);
    }

    /// <summary>
    /// Ranges made to reach the tables' other paths: more split prefixes than the prefix table can number (the rest
    /// are searched), blocks cut by a boundary, prefixes in no country, and one range across many prefixes.
    /// </summary>
    [Fact]
    public void IPv4_lookups_agree_with_a_search_when_most_prefixes_are_split()
    {
        var ranges = new List<(uint Start, uint End, string Country)>();
        string[] codes = ["AA", "BB", "CC", "DD"];
        for (var prefix = 0u; prefix < 40_000; prefix++)
        {
            var first = prefix << 16;
            // Half the prefix in one country, a 17-address range cutting a block, the rest in none.
            ranges.Add((first, first + 0x7FFF, codes[prefix % 3]));
            ranges.Add((first + 0x9005, first + 0x9015, codes[3]));
        }

        ranges.Add((50_000u << 16, (60_000u << 16) - 1, "EE"));
        var folder = Directory.CreateTempSubdirectory("weir-geo-test");
        try
        {
            var v4 = Path.Combine(folder.FullName, "v4.csv");
            var v6 = Path.Combine(folder.FullName, "v6.csv");
            File.WriteAllLines(v4, ranges.Select(r => $"{r.Start},{r.End},{r.Country}"));
            File.WriteAllLines(v6, ["1,2,AA"]);
            AssertAgreesWithSearch(IpCountries.Load(v4, v6), ranges);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static void AssertAgreesWithSearch(IpCountries countries, List<(uint Start, uint End, string Country)> ranges)
    {
        var starts = ranges.Select(r => r.Start).ToArray();
        string? Expected(uint address)
        {
            var i = Array.BinarySearch(starts, address);
            i = i >= 0 ? i : ~i - 1;
            return i >= 0 && ranges[i].End >= address ? ranges[i].Country : null;
        }

        var probes = new List<uint>();
        foreach (var (start, end, _) in ranges)
        {
            probes.AddRange([start, end, start - 1, end + 1]);
        }

        var random = new Random(61);
        for (var i = 0; i < 200_000; i++)
        {
            probes.Add((uint)random.NextInt64(1L << 32));
        }

        foreach (var address in probes)
        {
            var text = $"{address >> 24}.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}";
            var bytes = System.Text.Encoding.ASCII.GetBytes(text);
            var index = countries.LookupIndex(bytes);
            var found = index < 0 ? null : countries.CodeAt(index);
            // The loader's path reads the prefix entry in a middle step; it must find the same country.
            var stepwise = countries.EndLookup(countries.ContinueLookup(countries.BeginLookup(bytes)));
            if (stepwise != index)
            {
                Assert.Fail($"{text}: {index} in one call, {stepwise} in three steps");
            }

            if (found != Expected(address))
            {
                Assert.Fail($"{text}: {found ?? "no country"}, but its range says {Expected(address) ?? "no country"}");
            }
        }
    }

    [Fact]
    public void The_vector_parse_of_dotted_ipv4_answers_as_the_character_loop_does()
    {
        // Random strings of digits and dots around the valid lengths (most invalid: empty parts, four digits, 256…),
        // valid addresses with and without leading zeros, and a few other bytes.
        var random = new Random(17);
        var cases = new List<string> { "0.0.0.0", "255.255.255.255", "1.2.3.4", "001.002.003.004", "256.1.1.1", "1.2.3.4.", ".1.2.3",
            "1..2.3", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "1.2.3.a", "1.2.3.4\0", "1111.2.3.4", "1.2.3.1000", "", "1.2.3" };
        const string alphabet = "0123456789.";
        for (var i = 0; i < 200_000; i++)
        {
            if (i % 2 == 0)
            {
                cases.Add($"{random.Next(256)}.{random.Next(256)}.{random.Next(300)}.{random.Next(256):D2}");
                continue;
            }

            var text = new char[random.Next(5, 18)];
            for (var j = 0; j < text.Length; j++)
            {
                text[j] = alphabet[random.Next(alphabet.Length)];
            }

            cases.Add(new string(text));
        }

        foreach (var text in cases)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            var expected = IpCountries.TryParseV4<byte>(bytes, out var expectedAddress);
            var actual = IpCountries.TryParseV4Utf8(bytes, out var actualAddress);
            if (actual != expected || actualAddress != (expected ? expectedAddress : 0))
            {
                Assert.Fail($"\"{text}\": the loop says {(expected ? expectedAddress.ToString("X8") : "no address")}, the vector parse {(actual ? actualAddress.ToString("X8") : "no address")}");
            }
        }
    }

    [Theory]
    [InlineData("https://shop.example/pricing", "shop.example", true)]
    [InlineData("http://www.shop.example", "shop.example", true)]
    [InlineData("https://shop.example:8443/a?b#c", "www.shop.example", true)]
    [InlineData("https://shop.example.evil.example/", "shop.example", false)]
    [InlineData("https://user@shop.example/", "shop.example", false)]
    [InlineData("https://SHOP.example/", "shop.example", false)]
    [InlineData("https://blog.shop.example/", "shop.example", false)]
    [InlineData("ftp://shop.example/", "shop.example", false)]
    [InlineData("https://shop.example/", "", false)]
    [InlineData("https:///path", "shop.example", false)]
    [InlineData("https://shop.example", "shop.example", true)]
    [InlineData("https://shop.example?utm_source=x", "shop.example", true)]
    [InlineData("https://shop.example#top", "shop.example", true)]
    [InlineData("https://shop.example@evil.example/", "shop.example", false)]
    [InlineData("https://shop.examples.example/", "shop.example", false)]
    [InlineData("https://Shop.example/", "Shop.example", false)]
    public void The_loaders_own_page_shortcut_is_never_wrong(string referrer, string host, bool own)
    {
        var (referrerBytes, hostBytes) = (System.Text.Encoding.UTF8.GetBytes(referrer), System.Text.Encoding.UTF8.GetBytes(host));
        Assert.Equal(own, ReferrerSources.IsOwnPage(referrerBytes, hostBytes));
        // The enricher's form, told whether the host is plain (which it remembers from event to event), agrees.
        Assert.Equal(own, ReferrerSources.IsOwnPage(referrerBytes, hostBytes, ownHostIsPlain: ReferrerSources.IsPlainHost(hostBytes)));
        if (own)
        {
            // Where the shortcut answers yes, the full parse agrees that the referrer is no external host.
            Assert.Null(ReferrerSources.ExternalHost(referrer, host));
        }
    }

    [Theory]
    [InlineData("8.8.8.8", "US")]
    [InlineData("::ffff:8.8.8.8", "US")]
    [InlineData("::1", null)]
    [InlineData("127.0.0.1", null)]
    [InlineData("not an address", null)]
    [InlineData("1.2.3", null)]
    [InlineData("1.2.3.256", null)]
    [InlineData("", null)]
    public void Well_known_and_bad_addresses(string address, string? country) => Assert.Equal(country, Countries.Lookup(address));

    [Theory]
    [InlineData("https://www.google.com/", null, null, null, "Google", Channel.Search)]
    [InlineData("https://www.google.de/search?q=weir", null, null, null, "Google", Channel.Search)]
    [InlineData("https://m.facebook.com/story", null, null, null, "Facebook", Channel.Social)]
    [InlineData("https://t.co/abc", null, null, null, "Twitter", Channel.Social)]
    [InlineData("https://mail.google.com/mail/u/0", null, null, null, "Gmail", Channel.Email)]
    [InlineData("https://www.google.com/", null, "cpc", null, "Google", Channel.Paid)]
    [InlineData("https://www.google.com/", null, null, "gclid=abc", "Google", Channel.Paid)]
    [InlineData(null, "newsletter", "email", null, "newsletter", Channel.Email)]
    [InlineData(null, null, null, null, null, Channel.Direct)]
    [InlineData("https://shop.example/pricing", null, null, null, null, Channel.Direct)]
    [InlineData("https://blog.someone.example/post", null, null, null, "blog.someone.example", Channel.Referral)]
    [InlineData("not a url", null, null, null, null, Channel.Direct)]
    public void Referrers_are_classified(string? referrer, string? utmSource, string? utmMedium, string? query, string? source, Channel channel) =>
        Assert.Equal(new ReferrerClass(source, channel), Referrers.Classify(referrer, "www.shop.example", utmSource, utmMedium, query));

    private static List<(T Start, T End, string Country)> FirstRanges<T>(string file, int count = 50) where T : IParsable<T> =>
        [.. File.ReadLines(Path.Combine(EnrichmentData.DefaultFolder, file)).Take(count).Select(line => line.Split(','))
            .Select(f => (T.Parse(f[0], null), T.Parse(f[1], null), f[2]))];

    private static string V4(uint address) => new System.Net.IPAddress([(byte)(address >> 24), (byte)(address >> 16), (byte)(address >> 8), (byte)address]).ToString();

    private static string V6(UInt128 address)
    {
        var bytes = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, address);
        return new System.Net.IPAddress(bytes).ToString();
    }
}
