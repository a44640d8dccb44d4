using System.Globalization;

namespace Weir.Demo;

/// <summary>A traffic channel: where a session comes from, and what the lake's enrichment would have said of it.</summary>
internal sealed record DemoChannel(
    double Weight,
    string? Source,
    string? Referrer,
    string? ReferrerHost,
    string? UtmSource = null,
    string? UtmMedium = null,
    string[]? Campaigns = null,
    string? UtmTerm = null);

internal sealed record DemoCountry(string Code, double Weight, string Locale, int UtcOffsetHours, (string Region, string City)[] Places);

internal sealed record DemoDevice(string Type, double Weight, (string Browser, string Os, double Weight)[] Software, (int Width, int Height)[] Screens);

/// <summary>
/// The demo site's fixed vocabulary: pages and their popularity, channels, countries, devices. Every string the
/// generator writes is made here once, so generating an event allocates none.
/// </summary>
internal static class DemoCatalog
{
    public const string PricingPath = "/pricing";
    public const string SignupPath = "/signup";

    public static readonly string[] Plans = ["starter", "team", "business"];

    public static readonly int[] PlanAmounts = [9, 29, 99];

    public static readonly double[] PlanCumulative = Cumulative([0.55, 0.35, 0.10]);

    /// <summary>The page paths, most popular first: the top pages, then documentation and blog posts.</summary>
    public static readonly string[] Paths = BuildPaths();

    public static readonly string[] Titles = Array.ConvertAll(Paths, TitleOf);

    /// <summary>Zipf weights (s = 1.1) by rank.</summary>
    public static readonly double[] PathCumulative = Cumulative(Enumerable.Range(1, Paths.Length).Select(rank => 1.0 / Math.Pow(rank, 1.1)));

    public static readonly int PricingIndex = Array.IndexOf(Paths, PricingPath);

    public static readonly int SignupIndex = Array.IndexOf(Paths, SignupPath);

    public static readonly DemoChannel[] Channels =
    [
        new(30, null, null, null),
        new(28, "Google", "https://www.google.com/", "www.google.com"),
        new(5, "Bing", "https://www.bing.com/", "www.bing.com"),
        new(3, "DuckDuckGo", "https://duckduckgo.com/", "duckduckgo.com"),
        new(5, "Twitter", "https://t.co/", "t.co", "twitter", "social", ["launch", "tips"]),
        new(4, "Facebook", "https://www.facebook.com/", "www.facebook.com"),
        new(3, "LinkedIn", "https://www.linkedin.com/", "www.linkedin.com", "linkedin", "social", ["launch"]),
        new(2, "Reddit", "https://www.reddit.com/", "www.reddit.com"),
        new(3, "Hacker News", "https://news.ycombinator.com/", "news.ycombinator.com"),
        new(6, "Newsletter", null, null, "newsletter", "email", ["weekly-digest", "product-update", "black-friday"]),
        new(6, "Google Ads", "https://www.google.com/", "www.google.com", "google", "cpc", ["brand", "competitors", "analytics-tools"], "web analytics"),
        new(2, "GitHub", "https://github.com/", "github.com"),
    ];

    public static readonly double[] ChannelCumulative = Cumulative(Channels.Select(c => c.Weight));

    /// <summary>Returning visitors come back directly or from their mail more often than from ads.</summary>
    public static readonly double[] ReturningChannelCumulative =
        Cumulative(Channels.Select(c => c.Source is null ? c.Weight * 2.5 : c.UtmMedium == "email" ? c.Weight * 2 : c.UtmMedium == "cpc" ? c.Weight * 0.3 : c.Weight));

    /// <summary>Each channel's campaign query strings (empty: no UTM tags).</summary>
    public static readonly string[][] CampaignQueries = Array.ConvertAll(Channels, c => c.Campaigns is null
        ? []
        : Array.ConvertAll(c.Campaigns, campaign =>
            $"utm_source={c.UtmSource}&utm_medium={c.UtmMedium}&utm_campaign={campaign}" + (c.UtmTerm is null ? "" : $"&utm_term={Uri.EscapeDataString(c.UtmTerm)}")));

    public static readonly string[] AdContents = ["ad-a", "ad-b"];

    public static readonly DemoCountry[] Countries =
    [
        new("DE", 24, "de-DE", 1, [("Berlin", "Berlin"), ("Bavaria", "Munich"), ("Hamburg", "Hamburg"), ("North Rhine-Westphalia", "Cologne")]),
        new("US", 20, "en-US", -6, [("California", "San Francisco"), ("New York", "New York"), ("Texas", "Austin"), ("Washington", "Seattle")]),
        new("GB", 8, "en-GB", 0, [("England", "London"), ("Scotland", "Edinburgh")]),
        new("FR", 7, "fr-FR", 1, [("Île-de-France", "Paris"), ("Auvergne-Rhône-Alpes", "Lyon")]),
        new("IN", 6, "en-IN", 5, [("Karnataka", "Bengaluru")]),
        new("NL", 5, "nl-NL", 1, [("North Holland", "Amsterdam")]),
        new("AT", 4, "de-AT", 1, [("Vienna", "Vienna")]),
        new("CH", 4, "de-CH", 1, []),
        new("BR", 4, "pt-BR", -3, [("São Paulo", "São Paulo")]),
        new("PL", 3, "pl-PL", 1, []),
        new("ES", 3, "es-ES", 1, [("Madrid", "Madrid")]),
        new("IT", 3, "it-IT", 1, []),
        new("CA", 3, "en-CA", -5, [("Ontario", "Toronto")]),
        new("JP", 3, "ja-JP", 9, [("Tokyo", "Tokyo")]),
        new("SE", 2, "sv-SE", 1, []),
        new("AU", 1, "en-AU", 10, [("New South Wales", "Sydney")]),
    ];

    public static readonly double[] CountryCumulative = Cumulative(Countries.Select(c => c.Weight));

    public static readonly DemoDevice[] Devices =
    [
        new("desktop", 55, [("Chrome", "Windows", 38), ("Edge", "Windows", 10), ("Firefox", "Windows", 7), ("Chrome", "macOS", 14), ("Safari", "macOS", 14), ("Firefox", "Linux", 5), ("Chrome", "Linux", 4)],
            [(1920, 1080), (1366, 768), (1536, 864), (2560, 1440), (1440, 900)]),
        new("mobile", 38, [("Chrome", "Android", 50), ("Safari", "iOS", 45), ("Samsung Internet", "Android", 5)], [(390, 844), (412, 915), (360, 800), (393, 852)]),
        new("tablet", 7, [("Safari", "iPadOS", 70), ("Chrome", "Android", 30)], [(820, 1180), (768, 1024), (800, 1280)]),
    ];

    public static readonly double[] DeviceCumulative = Cumulative(Devices.Select(d => d.Weight));

    public static readonly double[][] SoftwareCumulative = Array.ConvertAll(Devices, d => Cumulative(d.Software.Select(s => s.Weight)));

    public static readonly string[] BrowserVersions = ["131.0", "130.0", "129.0", "18.1", "17.6", "133.0", "27.0"];

    public static readonly string[] OsVersions = ["10", "11", "14.6", "15.1", "17.6", "18.1", "6.8"];

    /// <summary>Relative traffic by local hour of day: quiet nights, a working-day peak, a smaller evening one.</summary>
    public static readonly double[] HourWeights =
        [0.15, 0.1, 0.08, 0.07, 0.08, 0.15, 0.3, 0.55, 0.8, 0.95, 1.0, 1.0, 0.9, 0.95, 1.0, 0.95, 0.85, 0.75, 0.7, 0.75, 0.7, 0.55, 0.4, 0.25];

    /// <summary>Relative traffic by <see cref="DayOfWeek"/> (Sunday first): the weekend is quieter.</summary>
    public static readonly double[] DayWeights = [0.55, 1.0, 1.05, 1.05, 1.0, 0.9, 0.5];

    public static readonly string[] OutboundUrls = ["https://github.com/weir/weir", "https://duckdb.org/", "https://parquet.apache.org/"];

    public static readonly string[] Downloads = ["weir-linux-x64.tar.gz", "weir-osx-arm64.tar.gz", "weir-win-x64.zip"];

    public static readonly string[] Videos = ["intro", "dashboards", "self-hosting"];

    public static readonly string[] Searches = ["retention", "funnels", "docker", "sql", "sessions", "api key"];

    public static double[] Cumulative(IEnumerable<double> weights)
    {
        var list = new List<double>();
        var sum = 0.0;
        foreach (var weight in weights)
        {
            sum += weight;
            list.Add(sum);
        }

        return [.. list];
    }

    private static string[] BuildPaths()
    {
        var paths = new List<string> { "/", PricingPath, "/features", "/docs", "/blog", "/docs/getting-started", SignupPath, "/about", "/login", "/changelog", "/contact", "/integrations", "/docs/api", "/careers", "/security" };
        for (var i = 1; i <= 140; i++)
        {
            paths.Add(string.Create(CultureInfo.InvariantCulture, $"/docs/guide-{i}"));
            paths.Add(string.Create(CultureInfo.InvariantCulture, $"/blog/post-{i}"));
        }

        return [.. paths];
    }

    private static string TitleOf(string path) => path switch
    {
        "/" => "Weir Demo: analytics you host yourself",
        _ => "Weir Demo: " + CultureInfo.InvariantCulture.TextInfo.ToTitleCase(path.Trim('/').Replace('/', ' ').Replace('-', ' ')),
    };
}
