using System.Globalization;
using System.Text.Json;
using Weir.Query.Stats;

namespace Weir.Query.Tests;

/// <summary>
/// Every stats report against <see cref="ReferenceStats"/>, on random traffic (fixed seeds) that reaches a real lake
/// through its log: shuffled arrival, re-sent duplicates, late events, part of it flushed to Parquet and part hot.
/// </summary>
public sealed class StatsReferenceTests
{
    private const string Site = RandomTraffic.Site;
    private const string TimeZone = RandomTraffic.TimeZone;
    private static readonly DateTimeOffset Now = RandomTraffic.Now;

    public static TheoryData<int> Seeds => [11, 23, 42];

    public static TheoryData<int, bool> SeedsAndPaths => new() { { 11, true }, { 11, false }, { 23, true }, { 23, false }, { 42, true }, { 42, false } };

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
        // The dashboard's queries, which the day summaries answer when they are on.
        """{"metrics":["visitors","visits","pageviews","views_per_visit","bounce_rate","visit_duration","events"],"date_range":"30d"}""",
        """{"metrics":["visitors","pageviews","visits","bounce_rate"],"date_range":"30d","dimensions":["time:day"]}""",
        """{"metrics":["visitors","pageviews","visit_duration"],"date_range":"all","dimensions":["time:month"]}""",
        """{"metrics":["visitors","pageviews","bounce_rate","events"],"date_range":["2026-03-20","2026-03-31"],"dimensions":["event:page"]}""",
        """{"metrics":["visitors","bounce_rate","visit_duration"],"date_range":"30d","dimensions":["visit:referrer"]}""",
        """{"metrics":["visitors","events","pageviews"],"date_range":"7d","dimensions":["event:name"]}""",
        """{"metrics":["visitors","visits","views_per_visit"],"date_range":"30d","dimensions":["visit:exit_page"]}""",
    ];

    [Theory]
    [MemberData(nameof(SeedsAndPaths))]
    public async Task Every_report_matches_the_reference_on_random_traffic(int seed, bool daySummaries)
    {
        var arrivals = RandomTraffic.Generate(seed);
        await using var lake = await TrafficLake.LoadAsync(arrivals);
        var engine = new StatsEngine(lake.Source) { UseDaySummaries = daySummaries };
        var reference = ReferenceStats.Sessionise(arrivals, RandomTraffic.TimeZone);
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

    [Fact]
    public async Task A_comparison_gives_the_previous_period_of_the_same_length()
    {
        var arrivals = RandomTraffic.Generate(7);
        await using var lake = await TrafficLake.LoadAsync(arrivals);
        var query = Parse("""{"metrics":["visitors","pageviews","bounce_rate"],"date_range":["2026-03-27","2026-03-30"],"dimensions":["event:page"],"include":{"comparisons":{"mode":"previous_period"}}}""");
        var result = new StatsEngine(lake.Source).Run(query);
        var reference = ReferenceStats.Sessionise(arrivals, RandomTraffic.TimeZone);
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

    private static List<string> Sorted(List<object?[]> rows) => [.. Show(rows).Order(StringComparer.Ordinal)];

    private static List<string> Show(List<object?[]> rows) =>
        [.. rows.Select(r => string.Join(" | ", r.Select(v => v switch
        {
            null => "null",
            double d => d.ToString("0.##", CultureInfo.InvariantCulture),
            _ => Convert.ToString(v, CultureInfo.InvariantCulture),
        })))];
}
