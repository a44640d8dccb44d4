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
