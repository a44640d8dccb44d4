using System.Globalization;
using Weir.Core.Events;
using Weir.Log;

namespace Weir.Query.Tests;

/// <summary>The random traffic every report is checked on, and a real lake it reaches through the log.</summary>
internal static class RandomTraffic
{
    public const string Site = "site-q";
    public const string TimeZone = "Europe/Berlin";
    public static readonly DateTimeOffset Start = new(2026, 3, 20, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Now = Start.AddDays(14);

    /// <summary>
    /// Visitors with one to four visits over two weeks, of one to eight events each, seconds to minutes apart (now and
    /// then just over the 30-minute gap); some sign up. Then: the arrival order shuffled, 5 % re-sent later (the copy
    /// must be ignored), and some events received days after they happened.
    /// </summary>
    public static List<CanonicalEvent> Generate(int seed)
    {
        var random = new Random(seed);
        string[] pages = ["/", "/pricing", "/docs/start", "/docs/api", "/blog/a", "/blog/b", "/signup", "/about"];
        string?[] referrers = [null, null, "https://news.example/", "https://search.example/?q=x", "https://social.example/p/1"];
        string[] plans = ["free", "pro", "team"];
        var events = new List<CanonicalEvent>();
        var n = 0;
        for (var v = 0; v < 60; v++)
        {
            var visitor = "anon-" + v.ToString(CultureInfo.InvariantCulture);
            var visits = 1 + random.Next(4);
            for (var s = 0; s < visits; s++)
            {
                var at = Start.AddMinutes(random.Next(14 * 24 * 60));
                var referrer = referrers[random.Next(referrers.Length)];
                var depth = 1 + random.Next(8);
                for (var i = 0; i < depth; i++)
                {
                    var track = i > 0 && random.Next(5) == 0;
                    events.Add(new CanonicalEvent
                    {
                        MessageId = "m-" + (n++).ToString("D6", CultureInfo.InvariantCulture),
                        SiteId = Site,
                        Protocol = EventProtocol.Segment,
                        Type = track ? EventType.Track : EventType.Page,
                        Event = track ? (random.Next(2) == 0 ? "Signup" : "Download") : "pageview",
                        AnonymousId = visitor,
                        Timestamp = at,
                        ReceivedAt = at.AddSeconds(1),
                        Host = "shop.example",
                        Path = track ? null : pages[Math.Min(random.Next(pages.Length), random.Next(pages.Length))],
                        Referrer = i == 0 ? referrer : null,
                        Properties = track ? $$"""{"plan":"{{plans[random.Next(plans.Length)]}}"}""" : null,
                    });
                    // Mostly seconds to minutes; sometimes exactly the gap (same visit) or just over it (a new one).
                    at = random.Next(12) switch
                    {
                        0 => at.AddMinutes(30),
                        1 => at.AddMinutes(30).AddSeconds(1),
                        _ => at.AddSeconds(5 + random.Next(600)),
                    };
                }
            }
        }

        // Another site's traffic, which no report of this site may count.
        events.Add(new CanonicalEvent { MessageId = "other-1", SiteId = "site-other", Type = EventType.Page, Event = "pageview", AnonymousId = "anon-1", Timestamp = Start.AddDays(3), ReceivedAt = Start.AddDays(3), Path = "/" });
        var arrivals = events.OrderBy(_ => random.Next()).ToList();
        foreach (var e in events.Where(_ => random.Next(20) == 0).ToList())
        {
            arrivals.Add(new CanonicalEvent
            {
                MessageId = e.MessageId,
                SiteId = e.SiteId,
                Type = e.Type,
                Event = e.Event,
                AnonymousId = e.AnonymousId,
                Timestamp = e.Timestamp.AddMinutes(1),
                ReceivedAt = e.ReceivedAt.AddHours(2),
                Path = "/duplicate-must-not-count",
            });
        }

        foreach (var e in arrivals.Where(_ => random.Next(30) == 0))
        {
            e.ReceivedAt = e.ReceivedAt.AddDays(3);
        }

        return arrivals;
    }
}

/// <summary>
/// A lake in a temporary folder that holds a traffic: the first half of the arrivals flushed to Parquet, the second
/// still hot, so the view's union is what reports read.
/// </summary>
internal sealed class TrafficLake : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly DurableLog _log;
    private readonly Lake.Lake _lake;

    private TrafficLake(TempDirectory directory, DurableLog log, Lake.Lake lake)
    {
        _directory = directory;
        _log = log;
        _lake = lake;
        Source = new LakeQuerySource(lake);
    }

    public IQuerySource Source { get; }

    public static async Task<TrafficLake> LoadAsync(IReadOnlyList<CanonicalEvent> arrivals)
    {
        var directory = new TempDirectory();
        var log = DurableLog.Open(new LogOptions { Directory = Path.Combine(directory.Path, "log") });
        var lake = Lake.Lake.Open(new Lake.LakeOptions { DataDirectory = directory.Path, BackgroundMaintenance = false }, log);
        var traffic = new TrafficLake(directory, log, lake);
        lake.Start();
        var half = arrivals.Count / 2;
        await AppendAsync(log, arrivals.Take(half));
        await lake.WhenLoadedAsync(log.CommittedPosition);
        await lake.FlushAsync();
        await AppendAsync(log, arrivals.Skip(half));
        await lake.WhenLoadedAsync(log.CommittedPosition);
        return traffic;
    }

    /// <summary>Sends more events and waits until the lake has loaded them (into the hot table).</summary>
    public async Task AddAsync(IEnumerable<CanonicalEvent> events)
    {
        await AppendAsync(_log, events);
        await _lake.WhenLoadedAsync(_log.CommittedPosition);
    }

    /// <summary>Writes the hot rows to Parquet.</summary>
    public Task FlushAsync() => _lake.FlushAsync();

    public async ValueTask DisposeAsync()
    {
        await _lake.DisposeAsync();
        await _log.DisposeAsync();
        _directory.Dispose();
    }

    private static async Task AppendAsync(DurableLog log, IEnumerable<CanonicalEvent> events)
    {
        foreach (var e in events)
        {
            await log.AppendAsync(CanonicalEventWriter.ToUtf8(e));
        }
    }
}
