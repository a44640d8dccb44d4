using System.Globalization;
using System.Text.Json;
using Weir.Query.Funnels;
using Weir.Query.Retention;
using Weir.Query.Visits;

namespace Weir.Query.Tests;

/// <summary>
/// Funnels and retention against <see cref="ReferenceReports"/>, on the random traffic of <see cref="RandomTraffic"/>
/// (shuffled, re-sent, late; half in Parquet, half hot), fixed seeds.
/// </summary>
public sealed class ReportReferenceTests
{
    private static readonly string[] Funnels =
    [
        """{"date_range":"all","steps":[{"page":"/"},{"page":"/pricing"},{"event":"Signup"}],"window":"1h"}""",
        """{"date_range":"all","steps":[{"page":"/"},{"page":"/pricing"},{"event":"Signup"}],"window":"1h","order":"strict"}""",
        """{"date_range":"all","steps":[{"page":"/docs/*"},{"page":"/signup"},{"event":"Signup","props":{"plan":"pro"}}],"window":"1d","breakdown":"visit:referrer"}""",
        """{"date_range":"all","steps":[{"page":"/*"},{"page":"/pricing"},{"page":"/signup"},{"event":"Signup"}],"window":"30m","breakdown":"event:page"}""",
        """{"date_range":["2026-03-24","2026-03-29"],"steps":[{"page":"/blog/?"},{"page":"/docs/*"}],"window":86400,"breakdown":"visit:entry_page"}""",
        """{"date_range":"7d","steps":[{"page":"/*"},{"page":"/*"},{"event":"Download"},{"page":"/*"},{"page":"/*"}],"window":"2d","order":"strict","breakdown":"event:page"}""",
        """{"date_range":"7d","steps":[{"page":"/*"},{"page":"/*"},{"event":"Download"},{"page":"/*"},{"page":"/*"}],"window":"2d","order":"strict"}""",
        """{"date_range":["2026-03-24","2026-03-29"],"steps":[{"page":"/blog/?"},{"page":"/docs/*"}],"window":86400}""",
        """{"date_range":"all","steps":[{"page":"/[bd]*"},{"event":"Signup"},{"event":"No such event"}],"window":"1d"}""",
        """{"date_range":"30d","steps":[{"page":"/"},{"page":"/*"},{"page":"/*"},{"page":"/*"},{"page":"/*"},{"page":"/*"},{"page":"/*"},{"page":"/*"}],"window":"10m"}""",
    ];

    private static readonly string[] Retentions =
    [
        """{"date_range":"all_days","period":"day","periods":14}""",
        """{"date_range":["2026-03-20","2026-04-02"],"period":"week","periods":3}""",
        """{"date_range":["2026-03-22","2026-03-28"],"period":"day","periods":10,"cohort_event":{"page":"/pricing"},"return_event":{"event":"Signup"}}""",
        """{"date_range":["2026-03-01","2026-04-30"],"period":"month","periods":2,"return_event":{"page":"/docs/*"}}""",
        """{"date_range":["2026-03-01","2026-04-30"],"period":"month","periods":2}""",
    ];

    public static TheoryData<int, bool> SeedsAndPaths => new() { { 11, true }, { 11, false }, { 23, true }, { 23, false }, { 42, true }, { 42, false } };

    [Theory]
    [MemberData(nameof(SeedsAndPaths))]
    public async Task Every_funnel_matches_the_reference_on_random_traffic(int seed, bool daySummaries)
    {
        var arrivals = RandomTraffic.Generate(seed);
        await using var lake = await TrafficLake.LoadAsync(arrivals);
        var engine = new FunnelEngine(lake.Source) { UseDaySummaries = daySummaries };
        var tagged = ReferenceStats.Sessionise(arrivals, RandomTraffic.TimeZone);
        Assert.True(Funnels.Count(json => VisitFunnel.Supports(FunnelRequestParser.Parse(Body(json), SiteZone, RandomTraffic.Now))) >= 5,
            "too few funnels the day summaries answer");
        foreach (var json in Funnels)
        {
            var query = FunnelRequestParser.Parse(Body(json), SiteZone, RandomTraffic.Now);
            var result = engine.Run(query);
            var expected = ReferenceReports.Funnel(tagged, query);
            Assert.True(expected[""].Visitors[1] > 0, $"the traffic reaches no second step of {json}");
            Assert.True(Show(expected[""]) == Show(result.Total), $"{json}: expected {Show(expected[""])}, got {Show(result.Total)}");
            if (query.Breakdown is not null)
            {
                Assert.Equal(expected.Count - 1, result.Breakdown.Count);
                Assert.True(result.Breakdown.Count > 1, $"one breakdown value only for {json}");
                foreach (var (value, steps) in result.Breakdown)
                {
                    var key = "=" + (value is null ? "\u0001" : Convert.ToString(value, CultureInfo.InvariantCulture));
                    Assert.True(expected.ContainsKey(key), $"{key} is not a breakdown value of the reference for {json}");
                    Assert.Equal(Show(expected[key]), Show(steps));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(SeedsAndPaths))]
    public async Task Every_retention_matrix_matches_the_reference_on_random_traffic(int seed, bool daySummaries)
    {
        var arrivals = RandomTraffic.Generate(seed);
        await using var lake = await TrafficLake.LoadAsync(arrivals);
        var engine = new RetentionEngine(lake.Source) { UseDaySummaries = daySummaries };
        foreach (var json in Retentions)
        {
            var body = json.Replace("\"all_days\"", "[\"2026-03-20\",\"2026-04-02\"]", StringComparison.Ordinal);
            var query = RetentionRequestParser.Parse(Body(body), SiteZone, RandomTraffic.Now);
            var result = engine.Run(query);
            var expected = ReferenceReports.Retention(arrivals, query);
            Assert.Contains(expected.Values, row => row[0] > 0 && row.Skip(1).Any(v => v > 0));
            foreach (var cohort in result.Cohorts)
            {
                var row = expected.GetValueOrDefault(cohort.Start, new long[query.Periods]);
                Assert.Equal(row[0], cohort.Visitors);
                for (var k = 0; k < query.Periods; k++)
                {
                    // Periods after "now" are unknown, and the traffic has nothing there.
                    Assert.Equal(cohort.Returning[k] is null ? 0 : row[k], cohort.Returning[k] ?? 0);
                }
            }

            Assert.Equal(expected.Keys.Order(), result.Cohorts.Where(c => c.Visitors > 0).Select(c => c.Start));
        }
    }

    [Fact]
    public async Task Responses_have_the_documented_shape()
    {
        var arrivals = RandomTraffic.Generate(5);
        await using var lake = await TrafficLake.LoadAsync(arrivals);
        var funnel = new FunnelEngine(lake.Source).Run(FunnelRequestParser.Parse(
            Body("""{"date_range":"all","steps":[{"page":"/","label":"Home"},{"page":"/pricing"}],"breakdown":"visit:referrer","breakdown_limit":2}"""), SiteZone, RandomTraffic.Now));
        using var document = Json(funnel.WriteJson);
        var steps = document.RootElement.GetProperty("steps");
        Assert.Equal("Home", steps[0].GetProperty("label").GetString());
        Assert.Equal(100, steps[0].GetProperty("conversion_rate").GetDouble());
        var first = steps[0].GetProperty("visitors").GetInt64();
        var second = steps[1].GetProperty("visitors").GetInt64();
        Assert.Equal(first - second, steps[1].GetProperty("dropoff").GetInt64());
        Assert.Equal(Math.Round(100.0 * second / first, 2, MidpointRounding.AwayFromZero), steps[1].GetProperty("conversion_rate").GetDouble());
        Assert.Equal(JsonValueKind.Null, steps[0].GetProperty("median_seconds_from_previous").ValueKind);
        Assert.Equal(JsonValueKind.Number, steps[1].GetProperty("median_seconds_from_previous").ValueKind);
        var breakdown = document.RootElement.GetProperty("breakdown");
        Assert.Equal(2, breakdown.GetProperty("results").GetArrayLength());
        Assert.True(breakdown.GetProperty("truncated").GetBoolean());

        var retention = new RetentionEngine(lake.Source).Run(RetentionRequestParser.Parse(
            Body("""{"date_range":["2026-03-28","2026-04-03"],"period":"day","periods":4}"""), SiteZone, RandomTraffic.Now));
        using var matrix = Json(retention.WriteJson);
        var cohorts = matrix.RootElement.GetProperty("cohorts");
        Assert.Equal(7, cohorts.GetArrayLength());
        var last = cohorts[6];
        Assert.Equal("2026-04-03", last.GetProperty("cohort").GetString());
        // "Now" is 2026-04-03 02:00 in Berlin: the cohort's later days have not begun.
        Assert.Equal(JsonValueKind.Object, last.GetProperty("retention")[0].ValueKind);
        Assert.Equal(JsonValueKind.Null, last.GetProperty("retention")[1].ValueKind);
        var populated = cohorts.EnumerateArray().First(c => c.GetProperty("visitors").GetInt64() > 0);
        Assert.Equal(100, populated.GetProperty("retention")[0].GetProperty("rate").GetDouble());
        Assert.Equal(populated.GetProperty("visitors").GetInt64(), populated.GetProperty("retention")[0].GetProperty("visitors").GetInt64());
    }

    [Theory]
    [InlineData("""{"date_range":"all","steps":[{"page":"/"}]}""", "steps")]
    [InlineData("""{"date_range":"all","steps":[{"page":"/"},{"page":"/"},{"page":"/"},{"page":"/"},{"page":"/"},{"page":"/"},{"page":"/"},{"page":"/"},{"page":"/"}]}""", "steps")]
    [InlineData("""{"date_range":"all","steps":[{"page":"/"},{"page":"/a","event":"x"}]}""", "steps[1]")]
    [InlineData("""{"date_range":"all","steps":[{"page":"/"},{}]}""", "steps[1]")]
    [InlineData("""{"date_range":"all","steps":[{"page":"/"},{"event":"x","props":{"a":[1]}}]}""", "steps[1].props.a")]
    [InlineData("""{"date_range":"all","steps":[{"page":"/"},{"path":"/"}]}""", "steps[1].path")]
    [InlineData("""{"date_range":"all","steps":[{"page":"/"},{"page":"/x"}],"window":"3w"}""", "window")]
    [InlineData("""{"date_range":"all","steps":[{"page":"/"},{"page":"/x"}],"window":0}""", "window")]
    [InlineData("""{"date_range":"all","steps":[{"page":"/"},{"page":"/x"}],"order":"any"}""", "order")]
    [InlineData("""{"date_range":"all","steps":[{"page":"/"},{"page":"/x"}],"breakdown":"time:day"}""", "breakdown")]
    [InlineData("""{"date_range":"all","steps":[{"page":"/"},{"page":"/x"}],"breakdown":"visit:nothing"}""", "breakdown")]
    [InlineData("""{"steps":[{"page":"/"},{"page":"/x"}]}""", "date_range")]
    [InlineData("""{"date_range":"all","steps":[{"page":"/"},{"page":"/x"}],"colour":1}""", "colour")]
    public void A_bad_funnel_names_the_field_at_fault(string json, string field)
    {
        var error = Assert.Throws<QueryRequestException>(() => FunnelRequestParser.Parse(Body(json), SiteZone, RandomTraffic.Now));
        Assert.Equal(field, error.Field);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Theory]
    [InlineData("""{"date_range":"all","period":"week"}""", "date_range")]
    [InlineData("""{"date_range":"30d","period":"fortnight"}""", "period")]
    [InlineData("""{"date_range":"30d","periods":0}""", "periods")]
    [InlineData("""{"date_range":"30d","periods":1000}""", "periods")]
    [InlineData("""{"date_range":["2020-01-01","2026-01-01"],"period":"day"}""", "date_range")]
    [InlineData("""{"date_range":"30d","return_event":{"page":""}}""", "return_event.page")]
    [InlineData("""{"date_range":"30d","cohorts":8}""", "cohorts")]
    public void A_bad_retention_query_names_the_field_at_fault(string json, string field)
    {
        var error = Assert.Throws<QueryRequestException>(() => RetentionRequestParser.Parse(Body(json), SiteZone, RandomTraffic.Now));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void A_site_the_caller_may_not_read_is_refused()
    {
        var error = Assert.Throws<QueryRequestException>(() => FunnelRequestParser.Parse(
            JsonDocument.Parse("""{"site_id":"elsewhere","date_range":"all","steps":[{"page":"/"},{"page":"/x"}]}""").RootElement, SiteZone, RandomTraffic.Now));
        Assert.Equal("site_id", error.Field);
    }

    private static string? SiteZone(string site) => site == RandomTraffic.Site ? RandomTraffic.TimeZone : null;

    private static JsonElement Body(string json)
    {
        using var document = JsonDocument.Parse(json);
        var fields = document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        fields["site_id"] = JsonSerializer.SerializeToElement(RandomTraffic.Site);
        return JsonSerializer.SerializeToElement(fields);
    }

    private static JsonDocument Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            write(writer);
        }

        return JsonDocument.Parse(stream.ToArray());
    }

    private static string Show((long[] Visitors, double?[] Medians) expected) =>
        string.Join(" | ", expected.Visitors.Select((v, k) => $"{v} @ {Median(expected.Medians[k])}"));

    private static string Show(FunnelSteps steps) =>
        string.Join(" | ", steps.Steps.Select(s => $"{s.Visitors} @ {Median(s.MedianSecondsFromPrevious)}"));

    private static string Median(double? seconds) => seconds is { } s ? s.ToString("0.0", CultureInfo.InvariantCulture) : "-";
}
