using Weir.Enrichment.UserAgents;

namespace Weir.Enrichment.Tests;

/// <summary>Real user agents through uap-core's rules and isbot's patterns, as the build ships them.</summary>
public sealed class UserAgentTests
{
    public static TheoryData<string, string, string?, string, string?, DeviceType, bool> Browsers => new()
    {
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome", "120.0.0", "Windows", "10", DeviceType.Desktop, false },
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91", "Edge", "120.0.2210", "Windows", "10", DeviceType.Desktop, false },
        { "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox", "121.0", "Linux", null, DeviceType.Desktop, false },
        { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15", "Safari", "17.2", "macOS", "10.15.7", DeviceType.Desktop, false },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "Safari", "17.1", "iOS", "17.1", DeviceType.Mobile, false },
        { "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1", "Safari", "16.6", "iOS", "16.6", DeviceType.Tablet, false },
        { "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36", "Chrome", "120.0.6099", "Android", "14", DeviceType.Mobile, false },
        { "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36", "Chrome", "119.0.0", "Android", "13", DeviceType.Tablet, false },
        { "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36", "Samsung Internet", "23.0", "Android", "13", DeviceType.Mobile, false },
        { "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot", "2.1", "Other", null, DeviceType.Desktop, true },
    };

    [Theory]
    [MemberData(nameof(Browsers))]
    public void A_real_user_agent_gives_its_browser_system_and_device(string userAgent, string browser, string? browserVersion, string os, string? osVersion, DeviceType device, bool spider)
    {
        var info = EnrichmentData.Default.UserAgents.Parse(userAgent);
        Assert.Equal((browser, browserVersion, os, osVersion, device, spider), (info.Browser, info.BrowserVersion, info.Os, info.OsVersion, info.Device, info.IsSpider));
    }

    [Theory]
    [InlineData("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", true)]
    [InlineData("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", true)]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36", true)]
    [InlineData("curl/8.5.0", true)]
    [InlineData("python-requests/2.31.0", true)]
    [InlineData("", true)]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", false)]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", false)]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", false)]
    public void Bots_are_told_from_browsers(string userAgent, bool bot) =>
        Assert.Equal(bot, EnrichmentData.Default.Bots.IsBot(userAgent));

    [Fact]
    public void Something_that_is_no_user_agent_is_Other()
    {
        var info = EnrichmentData.Default.UserAgents.Parse("not a browser at all");
        Assert.Equal(("Other", "Other", "Other"), (info.Browser, info.Os, info.DeviceFamily));
        Assert.Null(info.BrowserVersion);
    }

    [Fact]
    public void The_shipped_data_is_all_there()
    {
        var data = EnrichmentData.Default;
        Assert.True(data.UserAgents.RuleCount > 500, $"{data.UserAgents.RuleCount} user-agent rules");
        Assert.True(data.Bots.Count > 100, $"{data.Bots.Count} bot patterns");
        Assert.True(data.Countries.V4Ranges > 100_000 && data.Countries.V6Ranges > 100_000, $"{data.Countries.V4Ranges} IPv4 and {data.Countries.V6Ranges} IPv6 ranges");
        Assert.True(data.Referrers.HostCount > 300, $"{data.Referrers.HostCount} referrer hosts");
    }

    [Fact]
    public void A_missing_data_folder_names_the_file_and_the_fix()
    {
        var error = Assert.Throws<FileNotFoundException>(() => EnrichmentData.Load(Path.Combine(Path.GetTempPath(), "no-such-enrichment-" + Guid.NewGuid().ToString("N"))));
        Assert.Contains("npm ci", error.Message, StringComparison.Ordinal);
    }
}
