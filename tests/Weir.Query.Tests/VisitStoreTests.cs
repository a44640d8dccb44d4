using System.Globalization;
using System.Text.Json;
using Weir.Core.Events;
using Weir.Query.Funnels;
using Weir.Query.Stats;
using Weir.Query.Visits;

namespace Weir.Query.Tests;

/// <summary>
/// The day summaries stay true as the lake changes: a late event for a summarised day counts while it is hot and after
/// the flush that replaces the day's files; each answer is the reference's and the SQL path's.
/// </summary>
public sealed class VisitStoreTests
{
    private static readonly string[] Queries =
    [
        """{"metrics":["visitors","visits","pageviews","bounce_rate","visit_duration","events"],"date_range":"30d"}""",
        """{"metrics":["visitors","pageviews"],"date_range":"30d","dimensions":["time:day"]}""",
        """{"metrics":["visitors","pageviews"],"date_range":"30d","dimensions":["event:page"]}""",
        """{"metrics":["visitors","visits"],"date_range":"30d","dimensions":["visit:entry_page"]}""",
    ];

    [Fact]
    public async Task A_late_event_counts_while_hot_and_after_its_flush()
    {
        var arrivals = RandomTraffic.Generate(5);
        await using var lake = await TrafficLake.LoadAsync(arrivals);
        await lake.FlushAsync();
        var summaries = new StatsEngine(lake.Source);
        var sql = new StatsEngine(lake.Source) { UseDaySummaries = false };
        Check(summaries, sql, arrivals);

        // A new visitor on a day already summarised, and one more page view for a known visitor's session that day.
        var at = RandomTraffic.Start.AddDays(2).AddHours(11);
        List<CanonicalEvent> late =
        [
            Page("late-1", "anon-late", at, "/late"),
            Page("late-2", "anon-late", at.AddMinutes(3), "/pricing"),
            Page("late-3", "anon-1", at.AddMinutes(1), "/late"),
        ];
        arrivals.AddRange(late);
        await lake.AddAsync(late);
        Assert.Contains("/late", Check(summaries, sql, arrivals), StringComparison.Ordinal);

        await lake.FlushAsync();
        Assert.Contains("/late", Check(summaries, sql, arrivals), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_late_event_with_a_new_path_reaches_a_funnel_step_while_hot_and_after_its_flush()
    {
        var arrivals = RandomTraffic.Generate(7);
        await using var lake = await TrafficLake.LoadAsync(arrivals);
        await lake.FlushAsync();
        var visits = new VisitStore(lake.Source);
        var summaries = new FunnelEngine(lake.Source, visits);
        var sql = new FunnelEngine(lake.Source) { UseDaySummaries = false };
        var query = FunnelRequestParser.Parse(Body("""{"date_range":"30d","steps":[{"page":"/"},{"page":"/late*"}],"window":"1h"}"""),
            id => id == RandomTraffic.Site ? RandomTraffic.TimeZone : null, RandomTraffic.Now);
        Assert.True(VisitFunnel.Supports(query));
        Assert.Equal("0", CheckFunnel(summaries, sql, arrivals, query)[1]);

        // A path no day held when the pattern was first tested, on a day already loaded.
        var at = RandomTraffic.Start.AddDays(2).AddHours(11);
        List<CanonicalEvent> late = [Page("late-1", "anon-late", at, "/"), Page("late-2", "anon-late", at.AddMinutes(3), "/late-offer")];
        arrivals.AddRange(late);
        await lake.AddAsync(late);
        Assert.Equal("1", CheckFunnel(summaries, sql, arrivals, query)[1]);
        await lake.FlushAsync();
        Assert.Equal("1", CheckFunnel(summaries, sql, arrivals, query)[1]);

        // The answers came from the day summaries, which now hold the days' events.
        Assert.True(visits.TryGetEventDays(RandomTraffic.Site, TimeZoneInfo.FindSystemTimeZoneById(RandomTraffic.TimeZone), query.DateRange.FirstDay,
            query.DateRange.LastDay, TimeSpan.FromSeconds(30), out var site, out var days));
        Assert.Contains(days, day => day.EventCount > 0);
        Assert.True(site.Globs.ContainsKey("/late*"));
    }

    /// <summary>Runs a funnel on both paths, checks both against the reference and returns the visitors per step.</summary>
    private static string[] CheckFunnel(FunnelEngine summaries, FunnelEngine sql, List<CanonicalEvent> arrivals, FunnelQuery query)
    {
        var expected = ReferenceReports.Funnel(ReferenceStats.Sessionise(arrivals, RandomTraffic.TimeZone), query)[""];
        var shown = string.Join(" | ", expected.Visitors.Select((v, k) => $"{v} @ {expected.Medians[k]}"));
        Assert.Equal(shown, string.Join(" | ", summaries.Run(query).Total.Steps.Select(s => $"{s.Visitors} @ {s.MedianSecondsFromPrevious}")));
        Assert.Equal(shown, string.Join(" | ", sql.Run(query).Total.Steps.Select(s => $"{s.Visitors} @ {s.MedianSecondsFromPrevious}")));
        return [.. expected.Visitors.Select(v => v.ToString(CultureInfo.InvariantCulture))];
    }

    /// <summary>Checks every query on both paths against the reference; returns the results as text.</summary>
    private static string Check(StatsEngine summaries, StatsEngine sql, List<CanonicalEvent> arrivals)
    {
        var reference = ReferenceStats.Sessionise(arrivals, RandomTraffic.TimeZone);
        var all = new List<string>();
        foreach (var json in Queries)
        {
            var query = Parse(json);
            var expected = Show(ReferenceStats.Run(reference, query, query.DateRange));
            Assert.Equal(expected, Show(summaries.Run(query)));
            Assert.Equal(expected, Show(sql.Run(query)));
            all.AddRange(expected);
        }

        return string.Join("\n", all);
    }

    private static CanonicalEvent Page(string id, string visitor, DateTimeOffset at, string path) => new()
    {
        MessageId = id,
        SiteId = RandomTraffic.Site,
        Protocol = EventProtocol.Segment,
        Type = EventType.Page,
        Event = "pageview",
        AnonymousId = visitor,
        Timestamp = at,
        ReceivedAt = at.AddDays(5),
        Host = "shop.example",
        Path = path,
    };

    private static StatsQuery Parse(string json) =>
        StatsRequestParser.Parse(Body(json), id => id == RandomTraffic.Site ? RandomTraffic.TimeZone : null, RandomTraffic.Now);

    private static JsonElement Body(string json)
    {
        using var document = JsonDocument.Parse(json);
        return JsonSerializer.SerializeToElement(new Dictionary<string, JsonElement>(
            document.RootElement.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.Clone())))
        {
            ["site_id"] = JsonSerializer.SerializeToElement(RandomTraffic.Site),
        });
    }

    private static List<string> Show(StatsResult result) => Show([.. result.Rows.Select(r => r.Dimensions.Concat(r.Metrics).ToArray())]);

    private static List<string> Show(List<object?[]> rows) =>
        [.. rows.Select(r => string.Join(" | ", r.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "null"))).Order(StringComparer.Ordinal)];
}
