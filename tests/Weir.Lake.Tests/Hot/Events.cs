using Weir.Core.Events;

namespace Weir.Lake.Tests.Hot;

internal static class Events
{
    public static readonly DateTimeOffset Received = new(2026, 3, 14, 15, 9, 26, 535, 897, TimeSpan.Zero);

    /// <summary>An event with every field of the record set, times at microsecond precision.</summary>
    public static CanonicalEvent Full(int i = 0) => new()
    {
        MessageId = $"msg-{i:D6}-0192f1e2-7c3a-7b4d-9e8f-a1b2c3d4e5f6",
        SiteId = "site-main",
        Protocol = EventProtocol.Segment,
        Type = EventType.Page,
        Event = "pageview",
        Name = "Pricing",
        UserId = "user-42",
        AnonymousId = "anon-7f3c9a",
        GroupId = "group-acme",
        PreviousId = "old-id-1",
        Timestamp = Received.AddSeconds(-3).AddTicks(10 * i),
        OriginalTimestamp = Received.AddHours(-2).AddTicks(1230),
        SentAt = Received.AddMilliseconds(-500),
        ReceivedAt = Received,
        Url = "https://www.example.com/pricing?plan=pro&utm_source=news",
        Host = "www.example.com",
        Path = "/pricing",
        Query = "plan=pro&utm_source=news",
        Title = "Pricing — Example",
        Referrer = "https://news.ycombinator.com/item?id=1",
        Locale = "fr-FR",
        ScreenWidth = 2560,
        ScreenHeight = 1440,
        Library = "analytics.js/5.2.0",
        UserAgent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
        Ip = "203.0.113.97",
        Properties = """{"plan":"pro","price":49.5,"tags":["a","b"],"nested":{"x":null}}""",
        Traits = """{"email":"jo@example.com","age":31}""",
        Context = """{"locale":"fr-FR","page":{"path":"/pricing"},"library":{"name":"analytics.js","version":"5.2.0"}}""",
    };

    /// <summary>Only what every record must have.</summary>
    public static CanonicalEvent Minimal(string id = "m-1") => new()
    {
        MessageId = id,
        SiteId = "s1",
        Protocol = EventProtocol.Pixel,
        Type = EventType.Track,
        Timestamp = Received,
        ReceivedAt = Received,
    };
}
