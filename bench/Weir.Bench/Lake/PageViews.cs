using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Weir.Core.Events;

namespace Weir.Bench.Lake;

/// <summary>
/// Realistic page views of one site over one UTC day, as ingest writes them for a Segment <c>page</c> call: visits of
/// one to a dozen pages from a pool of visitors (a fifth of the events; some come back often, most once), 20 pages with
/// power-law popularity, external referrers on landings (search engines, social, newsletters) and the previous page
/// after that, UTM tags on some landings (a few with a <c>gclid</c>), the user agents, screens and locales of real
/// browsers, client clocks that are off by a little (a few by minutes), and a daily curve of traffic.
/// </summary>
/// <remarks>
/// The visits are laid out first, as 16-byte entries sorted by arrival time; an event's record is then built from its
/// entry and hashes of its index and visitor, so any range of records can be built on any thread and the same
/// arguments always give the same records. Without <c>withContext</c> the records have no <c>properties</c> and no
/// <c>context</c> (a lean tracker); with it they carry what analytics.js collects by itself (the page's fields again in
/// <c>properties</c>, and <c>page</c>, <c>userAgent</c>, <c>locale</c>, <c>library</c>, <c>screen</c>,
/// <c>timezone</c> and <c>campaign</c> in <c>context</c>).
/// </remarks>
internal sealed class PageViews
{
    public const string SiteId = "Zk4mQ9xTcA2v";
    public const string Host = "www.example.com";
    private const string Origin = "https://" + Host;
    private const string Library = "analytics.js/npm:next-1.70.0";

    private static readonly string[] Paths =
    [
        "/", "/pricing", "/docs", "/blog", "/docs/getting-started", "/features", "/blog/announcing-weir-1-0", "/signup",
        "/login", "/docs/api", "/about", "/integrations", "/blog/self-hosted-analytics", "/docs/sdk/javascript",
        "/changelog", "/customers", "/contact", "/careers", "/privacy", "/terms",
    ];

    private static readonly string[] Titles =
    [
        "Example – Privacy-friendly analytics", "Pricing – Example", "Documentation – Example", "Blog – Example",
        "Getting started – Example docs", "Features – Example", "Announcing Weir 1.0 – Example blog", "Sign up – Example",
        "Log in – Example", "HTTP API – Example docs", "About us – Example", "Integrations – Example",
        "Why we self-host our analytics – Example blog", "JavaScript SDK – Example docs", "Changelog – Example",
        "Customers – Example", "Contact – Example", "Careers – Example", "Privacy policy – Example", "Terms of service – Example",
    ];

    // Index 0 is a direct visit (no referrer).
    private static readonly Weighted<string?> Referrers = new(
        (null, 42), ("https://www.google.com/", 30), ("https://www.bing.com/", 4), ("https://duckduckgo.com/", 4),
        ("https://news.ycombinator.com/", 4), ("https://www.reddit.com/r/selfhosted/comments/1h7kq2c/self_hosted_web_analytics/", 3),
        ("https://t.co/8fKq2LmZxR", 2), ("https://t.co/Qa71nXcV0b", 1), ("https://github.com/", 3), ("https://www.linkedin.com/", 2),
        ("android-app://com.google.android.gm/", 1), ("https://www.producthunt.com/", 1), ("https://search.brave.com/", 1),
        ("https://www.ecosia.org/", 1), ("https://chatgpt.com/", 1));

    // (utm_source, utm_medium, utm_campaign); index 0: no campaign.
    private static readonly Weighted<(string Source, string Medium, string Campaign)?> Campaigns = new(
        (null, 85), (("google", "cpc", "brand_search"), 4), (("google", "cpc", "competitor_search"), 2),
        (("newsletter", "email", "weekly_digest_2026_05"), 3), (("twitter", "social", "launch_1_0"), 2),
        (("linkedin", "social", "launch_1_0"), 1), (("reddit", "social", "selfhosted_thread"), 1),
        (("partner", "referral", "integrations_page"), 1), (("bing", "cpc", "brand_search"), 1));

    private static readonly Weighted<Device> Devices = new(
        (new Device("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", Desktop), 28),
        (new Device("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", Desktop), 12),
        (new Device("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", Desktop), 7),
        (new Device("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", Desktop), 6),
        (new Device("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", Desktop), 4),
        (new Device("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", Desktop), 2),
        (new Device("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", Desktop), 2),
        (new Device("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", Mobile), 14),
        (new Device("Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1", Mobile), 5),
        (new Device("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", Mobile), 13),
        (new Device("Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", Mobile), 3),
        (new Device("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", Mobile), 3),
        (new Device("Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", Tablet), 4));

    private static readonly Weighted<(int Width, int Height)>[] Screens =
    [
        new(((1920, 1080), 35), ((1536, 864), 15), ((1440, 900), 12), ((2560, 1440), 12), ((1366, 768), 10), ((1280, 720), 6), ((3840, 2160), 4), ((1680, 1050), 6)),
        new(((390, 844), 25), ((393, 873), 15), ((414, 896), 12), ((360, 800), 18), ((430, 932), 15), ((412, 915), 15)),
        new(((820, 1180), 50), ((768, 1024), 30), ((1024, 1366), 20)),
    ];

    private static readonly Weighted<(string Locale, string TimeZone)> Locales = new(
        (("en-US", "America/New_York"), 22), (("en-US", "America/Los_Angeles"), 13), (("en-GB", "Europe/London"), 8),
        (("de-DE", "Europe/Berlin"), 12), (("fr-FR", "Europe/Paris"), 8), (("es-ES", "Europe/Madrid"), 6),
        (("pt-BR", "America/Sao_Paulo"), 5), (("ja-JP", "Asia/Tokyo"), 4), (("nl-NL", "Europe/Amsterdam"), 4),
        (("it-IT", "Europe/Rome"), 3), (("pl-PL", "Europe/Warsaw"), 3), (("en-IN", "Asia/Kolkata"), 4),
        (("en-CA", "America/Toronto"), 3), (("sv-SE", "Europe/Stockholm"), 2), (("zh-CN", "Asia/Shanghai"), 3));

    // Share of the day's traffic by UTC hour: low at night in Europe and the Americas, highest in their afternoons.
    private static readonly Weighted<int> Hours = new(
        (0, 3), (1, 2), (2, 2), (3, 2), (4, 2), (5, 2), (6, 3), (7, 4), (8, 5), (9, 6), (10, 6), (11, 6),
        (12, 6), (13, 7), (14, 7), (15, 7), (16, 6), (17, 6), (18, 5), (19, 5), (20, 4), (21, 4), (22, 3), (23, 3));

    private const int Desktop = 0;
    private const int Mobile = 1;
    private const int Tablet = 2;
    private const byte Landing = byte.MaxValue;

    private static readonly Weighted<int> PathPopularity = new([.. Enumerable.Range(0, Paths.Length).Select(i => (i, 1000.0 / Math.Pow(i + 1, 1.1)))]);

    private readonly View[] _views;
    private readonly ulong _seed;
    private readonly bool _withContext;
    private readonly bool _timeOrderedIds;

    /// <param name="count">How many page views.</param>
    /// <param name="day">The UTC day they happen on.</param>
    /// <param name="seed">Chooses the visits; the same seed gives the same records.</param>
    /// <param name="withContext">Adds the <c>properties</c> and <c>context</c> analytics.js collects by itself.</param>
    /// <param name="timeOrderedIds">UUIDv7 message ids from the arrival time (as ingest makes them when the client
    /// sends none), instead of random ones (as Segment's SDKs send them).</param>
    public PageViews(int count, DateOnly day, int seed, bool withContext, bool timeOrderedIds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Count = count;
        Day = day;
        _seed = Mix((ulong)seed + 0x5EED);
        _withContext = withContext;
        _timeOrderedIds = timeOrderedIds;
        _views = Plan(count, seed, Math.Max(1, count / 5));
    }

    public int Count { get; }

    public DateOnly Day { get; }

    /// <summary>Distinct visitors in the plan.</summary>
    public int Visitors
    {
        get
        {
            var seen = new System.Collections.BitArray(_views.Max(v => v.Visitor) + 1);
            var distinct = 0;
            foreach (var view in _views)
            {
                if (!seen[view.Visitor])
                {
                    seen[view.Visitor] = true;
                    distinct++;
                }
            }

            return distinct;
        }
    }

    /// <summary>The record of page view <paramref name="index"/> (in arrival order), as the log holds it. Thread-safe.</summary>
    public byte[] Record(int index) => CanonicalEventWriter.ToUtf8(Event(index));

    public CanonicalEvent Event(int index)
    {
        var view = _views[index];
        var visitor = new Rng(_seed ^ ((ulong)view.Visitor << 24));
        var random = new Rng(_seed + (ulong)index);

        var device = Devices.Pick(visitor.NextDouble());
        var screen = Screens[device.Class].Pick(visitor.NextDouble());
        var (locale, timeZone) = Locales.Pick(visitor.NextDouble());
        var anonymousId = RandomUuid(ref visitor);
        var ip = string.Create(CultureInfo.InvariantCulture, $"{visitor.Next(1, 224)}.{visitor.Next(256)}.{visitor.Next(256)}.{visitor.Next(1, 255)}");
        var userId = visitor.NextDouble() < 0.04 ? "usr_" + (view.Visitor * 7919L % 1_000_003).ToString(CultureInfo.InvariantCulture) : null;
        // Most clocks are within a second; a few are minutes off (the record keeps them; the corrected time cancels them).
        var skewMs = visitor.NextDouble() < 0.05 ? visitor.Next(-600_000, 600_000) : visitor.Next(-800, 800);

        var receivedAt = new DateTimeOffset(Day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddTicks(view.Ticks / 10 * 10);
        var sendDelayMs = random.NextDouble() < 0.97 ? random.Next(0, 15) : random.Next(15, 4000);
        var networkMs = random.Next(20, 250);
        var originalTimestamp = TruncateToMs(receivedAt.AddMilliseconds(skewMs - networkMs - sendDelayMs));
        var sentAt = originalTimestamp.AddMilliseconds(sendDelayMs);
        var timestamp = receivedAt - (sentAt - originalTimestamp);

        var path = Paths[view.Path];
        string? query = null;
        string? referrer;
        (string Source, string Medium, string Campaign)? campaign = null;
        if (view.Previous == Landing)
        {
            referrer = Referrers.Items[view.Referrer];
            campaign = Campaigns.Items[view.Campaign];
            if (campaign is { } utm)
            {
                query = $"utm_source={utm.Source}&utm_medium={utm.Medium}&utm_campaign={utm.Campaign}";
                if (utm.Medium == "cpc" && utm.Source == "google")
                {
                    query += "&gclid=" + RandomToken(ref random, 40);
                }
            }
        }
        else
        {
            referrer = Origin + Paths[view.Previous];
        }

        if (query is null && view.Path == 1 && random.NextDouble() < 0.2)
        {
            query = random.NextDouble() < 0.5 ? "plan=team" : "plan=business&billing=yearly";
        }

        var url = query is null ? Origin + path : Origin + path + "?" + query;
        var e = new CanonicalEvent
        {
            MessageId = _timeOrderedIds ? TimeOrderedUuid(receivedAt, ref random) : RandomUuid(ref random),
            SiteId = SiteId,
            Protocol = EventProtocol.Segment,
            Type = EventType.Page,
            Event = "pageview",
            UserId = userId,
            AnonymousId = anonymousId,
            Timestamp = timestamp,
            OriginalTimestamp = originalTimestamp,
            SentAt = sentAt,
            ReceivedAt = receivedAt,
            Url = url,
            Host = Host,
            Path = path,
            Query = query,
            Title = Titles[view.Path],
            Referrer = referrer,
            Locale = locale,
            ScreenWidth = screen.Width,
            ScreenHeight = screen.Height,
            Library = Library,
            UserAgent = device.UserAgent,
            Ip = ip,
        };
        if (_withContext)
        {
            e.Properties = Json(w =>
            {
                WritePage(w, e, query);
            });
            e.Context = Json(w =>
            {
                w.WriteStartObject("library");
                w.WriteString("name", "analytics.js");
                w.WriteString("version", "npm:next-1.70.0");
                w.WriteEndObject();
                w.WriteString("locale", locale);
                w.WriteStartObject("page");
                WritePage(w, e, query);
                w.WriteEndObject();
                w.WriteString("userAgent", device.UserAgent);
                w.WriteStartObject("screen");
                w.WriteNumber("width", screen.Width);
                w.WriteNumber("height", screen.Height);
                w.WriteNumber("density", device.Class == Desktop && screen.Width < 2000 ? 1 : 2);
                w.WriteEndObject();
                w.WriteString("timezone", timeZone);
                if (campaign is { } utm)
                {
                    w.WriteStartObject("campaign");
                    w.WriteString("source", utm.Source);
                    w.WriteString("medium", utm.Medium);
                    w.WriteString("name", utm.Campaign);
                    w.WriteEndObject();
                }
            });
        }

        return e;
    }

    private static void WritePage(Utf8JsonWriter w, CanonicalEvent e, string? query)
    {
        w.WriteString("path", e.Path);
        w.WriteString("referrer", e.Referrer ?? "");
        w.WriteString("search", query is null ? "" : "?" + query);
        w.WriteString("title", e.Title);
        w.WriteString("url", e.Url);
    }

    private static string Json(Action<Utf8JsonWriter> members)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, CanonicalEventWriter.WriterOptions))
        {
            writer.WriteStartObject();
            members(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Lays out the visits: which visitor, when, which page, from where. Sorted by arrival time.</summary>
    private static View[] Plan(int count, int seed, int pool)
    {
        var random = new Random(seed);
        var views = new View[count];
        var ticks = new long[count];
        var n = 0;
        while (n < count)
        {
            // Visitor v's share falls as a power of v: a few come back all day, most come once.
            var visitor = (int)(pool * Math.Pow(random.NextDouble(), 2.5));
            var hour = Hours.Pick(random.NextDouble());
            var time = TimeSpan.FromHours(hour).Ticks + (long)(random.NextDouble() * TimeSpan.TicksPerHour);
            time = Math.Max(time, TimeSpan.TicksPerMinute);
            var pages = 1;
            while (pages < 12 && random.NextDouble() < 0.55)
            {
                pages++;
            }

            var referrer = (byte)Referrers.PickIndex(random.NextDouble());
            var campaign = (byte)Campaigns.PickIndex(random.NextDouble());
            var previous = Landing;
            for (var p = 0; p < pages && n < count; p++)
            {
                if (time >= TimeSpan.TicksPerDay - TimeSpan.TicksPerMinute)
                {
                    break;
                }

                var path = (byte)PathPopularity.PickIndex(random.NextDouble());
                views[n] = new View(time, visitor, path, previous, referrer, campaign);
                ticks[n] = time;
                n++;
                previous = path;
                time += TimeSpan.TicksPerSecond * 4 + (long)(-Math.Log(1 - random.NextDouble()) * 45 * TimeSpan.TicksPerSecond);
            }
        }

        Array.Sort(ticks, views);
        return views;
    }

    private static DateTimeOffset TruncateToMs(DateTimeOffset value) =>
        new(value.Ticks - value.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);

    private static string RandomUuid(ref Rng random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString();
    }

    private static string TimeOrderedUuid(DateTimeOffset time, ref Rng random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        var ms = time.ToUnixTimeMilliseconds();
        for (var i = 0; i < 6; i++)
        {
            bytes[i] = (byte)(ms >> (40 - (8 * i)));
        }

        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x70);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString();
    }

    private static string RandomToken(ref Rng random, int length)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        Span<char> token = stackalloc char[length];
        for (var i = 0; i < token.Length; i++)
        {
            token[i] = Alphabet[random.Next(Alphabet.Length)];
        }

        return new string(token);
    }

    private static ulong Mix(ulong x)
    {
        // splitmix64's finaliser: neighbouring indexes get unrelated seeds.
        x += 0x9E3779B97F4A7C15;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }

    /// <summary>splitmix64: cheap to seed per event, unlike <see cref="Random"/> with a seed.</summary>
    private struct Rng(ulong seed)
    {
        private ulong _state = Mix(seed);

        public ulong NextUInt64() => Mix(_state++ * 0xD1B54A32D192ED03);

        public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

        public int Next(int max) => (int)((NextUInt64() >> 32) * (ulong)max >> 32);

        public int Next(int min, int max) => min + Next(max - min);

        public void NextBytes(Span<byte> bytes)
        {
            for (var i = 0; i < bytes.Length; i += 8)
            {
                var value = NextUInt64();
                for (var j = i; j < Math.Min(i + 8, bytes.Length); j++, value >>= 8)
                {
                    bytes[j] = (byte)value;
                }
            }
        }
    }

    private readonly record struct View(long Ticks, int Visitor, byte Path, byte Previous, byte Referrer, byte Campaign);

    private readonly record struct Device(string UserAgent, int Class);

    /// <summary>Items with weights; picks one from a uniform number in [0, 1).</summary>
    private sealed class Weighted<T>
    {
        private readonly double[] _cumulative;

        public Weighted(params (T Item, double Weight)[] items)
        {
            Items = [.. items.Select(i => i.Item)];
            _cumulative = new double[items.Length];
            var total = items.Sum(i => i.Weight);
            var sum = 0.0;
            for (var i = 0; i < items.Length; i++)
            {
                sum += items[i].Weight / total;
                _cumulative[i] = sum;
            }

            _cumulative[^1] = 1.0;
        }

        public T[] Items { get; }

        public int PickIndex(double uniform)
        {
            var index = Array.BinarySearch(_cumulative, uniform);
            index = index < 0 ? ~index : index + 1;
            return Math.Min(index, _cumulative.Length - 1);
        }

        public T Pick(double uniform) => Items[PickIndex(uniform)];
    }
}
