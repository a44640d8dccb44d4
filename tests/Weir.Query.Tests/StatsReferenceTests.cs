using System.Globalization;
using System.Text.Json;
using Weir.Core.Events;
using Weir.Log;
using Weir.Query.Stats;

namespace Weir.Query.Tests;

/// <summary>
/// Every stats report against <see cref="ReferenceStats"/>, on random traffic (fixed seeds) that reaches a real lake
/// through its log: shuffled arrival, re-sent duplicates, late events, part of it flushed to Parquet and part hot.
/// </summary>
public sealed class StatsReferenceTests
{
    private const string Site = "site-q";
    private const string TimeZone = "Europe/Berlin";
    private static readonly DateTimeOffset Start = new(2026, 3, 20, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = Start.AddDays(14);

    public static TheoryData<int> Seeds => [11, 23, 42];

    private static readonly string[] Queries =
    [
        """{"metrics":["visitors","visits","pageviews","views_per_visit","bounce_rate","visit_duration","events"],"date_range":["2026-03-22","2026-03-28"]}""",
        """{"metrics":["visitors","pageviews","bounce_rate"],"date_range":"all","dimensions":["event:page"]}""",
        """{"metrics":["visitors","visits","visit_duration"],"date_range":"7d","dimensions":["visit:entry_page"]}""",
        """{"metrics":["visitors","visits"],"date_range":"30d","dimensions":["visit:referrer","visit:exit_page"]}""",
        """{"metrics":["visitors","pageviews","events"],"date_range":"all","dimensions":["time:day"]}""",
        """{"metrics":["visitors","events"],"date_range":"all","dimensions":["time:week"]}""",
        """{"metrics":["pageviews"],"date_range":["2026-03-25","2026-03-25"],"dimensions":["time:hour"]}""",
        """{"metrics":["visitors","events"],"date_range":"all","dimensions":["event:name","event:props:plan"]}""",
        """{"metrics":["visitors","pageviews"],"date_range":"all","filters":[["is","visit:referrer",["https://news.example/","https://search.example/?q=x"]]],"dimensions":["event:page"]}""",
        """{"metrics":["visitors","visits","bounce_rate"],"date_range":"all","filters":[["or",[["contains","event:page",["PRICING"]],["matches","visit:entry_page",["^/docs/"]]]]]}""",
        """{"metrics":["visitors","pageviews"],"date_range":"all","filters":[["not",["is","event:page",["/"]]],["is_not","visit:referrer",["https://news.example/"]]],"dimensions":["visit:entry_page"]}""",
        """{"metrics":["visitors","conversion_rate","events"],"date_range":"all","filters":[["is","event:name",["Signup"]]],"dimensions":["visit:entry_page"]}""",
        """{"metrics":["visitors","conversion_rate"],"date_range":"all","filters":[["is","event:name",["Signup"]],["is","event:props:plan",["pro"]]]}""",
        """{"metrics":["visitors","visits","pageviews"],"date_range":"all","dimensions":["event:page"],"order_by":[["pageviews","asc"]],"pagination":{"limit":3,"offset":2}}""",
    ];

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Every_report_matches_the_reference_on_random_traffic(int seed)
    {
        var arrivals = Traffic(seed);
        using var directory = new TempDirectory();
        var log = DurableLog.Open(new LogOptions { Directory = Path.Combine(directory.Path, "log") });
        await using (log)
        {
            var lake = Lake.Lake.Open(new Lake.LakeOptions { DataDirectory = directory.Path, BackgroundMaintenance = false }, log);
            await using (lake)
            {
                lake.Start();
                // The first half goes to Parquet, the second stays hot: the view's union is what reports read.
                var half = arrivals.Count / 2;
                await AppendAsync(log, arrivals.Take(half));
                await lake.WhenLoadedAsync(log.CommittedPosition);
                await lake.FlushAsync();
                await AppendAsync(log, arrivals.Skip(half));
                await lake.WhenLoadedAsync(log.CommittedPosition);

                var engine = new StatsEngine(new LakeQuerySource(lake));
                var reference = ReferenceStats.Sessionise(arrivals);
                foreach (var json in Queries)
                {
                    var query = Parse(json);
                    var actual = engine.Run(query).Rows.Select(r => r.Dimensions.Concat(r.Metrics).ToArray()).ToList();
                    var expected = ReferenceStats.Run(reference, query, query.DateRange);
                    Assert.True(expected.Count > 0 || query.Dimensions.Count == 0, $"the traffic has no rows for {json}");
                    if (query.OrderBy.Count > 0)
                    {
                        // Ordered and paginated: the page must be the reference's rows in that order.
                        expected = [.. expected.OrderBy(r => Convert.ToInt64(r[^1], CultureInfo.InvariantCulture)).ThenBy(r => (string?)r[0], StringComparer.Ordinal)
                            .Skip(query.Offset).Take(query.Limit)];
                        Assert.Equal(Show(expected), Show(actual));
                    }
                    else
                    {
                        Assert.Equal(Sorted(expected), Sorted(actual));
                    }
                }
            }
        }
    }

    [Fact]
    public async Task A_comparison_gives_the_previous_period_of_the_same_length()
    {
        var arrivals = Traffic(7);
        using var directory = new TempDirectory();
        var log = DurableLog.Open(new LogOptions { Directory = Path.Combine(directory.Path, "log") });
        await using (log)
        {
            var lake = Lake.Lake.Open(new Lake.LakeOptions { DataDirectory = directory.Path, BackgroundMaintenance = false }, log);
            await using (lake)
            {
                lake.Start();
                await AppendAsync(log, arrivals);
                await lake.WhenLoadedAsync(log.CommittedPosition);
                var query = Parse("""{"metrics":["visitors","pageviews","bounce_rate"],"date_range":["2026-03-27","2026-03-30"],"dimensions":["event:page"],"include":{"comparisons":{"mode":"previous_period"}}}""");
                var result = new StatsEngine(new LakeQuerySource(lake)).Run(query);
                var reference = ReferenceStats.Sessionise(arrivals);
                var zone = TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
                var previousRange = StatsRequestParser.PreviousPeriod(query.DateRange, zone);
                Assert.Equal(new DateOnly(2026, 3, 23), previousRange.FirstDay);
                Assert.Equal(new DateOnly(2026, 3, 26), previousRange.LastDay);
                var previous = ReferenceStats.Run(reference, query, previousRange).ToDictionary(r => (string?)r[0] ?? "(none)", r => r[1..]);
                Assert.NotEmpty(result.Rows);
                foreach (var row in result.Rows)
                {
                    var expected = previous.TryGetValue((string?)row.Dimensions[0] ?? "(none)", out var metrics) ? metrics : [0L, 0L, 0L];
                    Assert.Equal(Show([expected]), Show([[.. row.PreviousMetrics!]]));
                }

                using var stream = new MemoryStream();
                using (var writer = new Utf8JsonWriter(stream))
                {
                    result.WriteJson(writer);
                }

                using var document = JsonDocument.Parse(stream.ToArray());
                var first = document.RootElement.GetProperty("results")[0];
                Assert.Equal(3, first.GetProperty("comparison").GetProperty("change").GetArrayLength());
            }
        }
    }

    private static StatsQuery Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var body = JsonSerializer.SerializeToElement(new Dictionary<string, JsonElement>(
            document.RootElement.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.Clone())))
        {
            ["site_id"] = JsonSerializer.SerializeToElement(Site),
        });
        return StatsRequestParser.Parse(body, id => id == Site ? TimeZone : null, Now);
    }

    private static async Task AppendAsync(DurableLog log, IEnumerable<CanonicalEvent> events)
    {
        foreach (var e in events)
        {
            await log.AppendAsync(CanonicalEventWriter.ToUtf8(e));
        }
    }

    private static List<string> Sorted(List<object?[]> rows) => [.. Show(rows).Order(StringComparer.Ordinal)];

    private static List<string> Show(List<object?[]> rows) =>
        [.. rows.Select(r => string.Join(" | ", r.Select(v => v switch
        {
            null => "null",
            double d => d.ToString("0.##", CultureInfo.InvariantCulture),
            _ => Convert.ToString(v, CultureInfo.InvariantCulture),
        })))];

    /// <summary>
    /// Visitors with one to four visits over two weeks, of one to eight events each, seconds to minutes apart (now and
    /// then just over the 30-minute gap); some sign up. Then: the arrival order shuffled, 5 % re-sent later (the copy
    /// must be ignored), and some events received days after they happened.
    /// </summary>
    private static List<CanonicalEvent> Traffic(int seed)
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
