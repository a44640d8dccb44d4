namespace Weir.Demo.Tests;

public sealed class DemoTrafficTests
{
    private const string Fingerprint =
        "SELECT CAST(sum(hash(message_id, visitor_id, \"timestamp\", received_at, path, \"event\", CAST(properties AS VARCHAR), country, device_type)) % 9223372036854775807 AS BIGINT) FROM events";

    [Fact]
    public async Task Same_seed_gives_the_same_events()
    {
        await using var first = await DemoLake.CreateAsync(seed: 11);
        await using var second = await DemoLake.CreateAsync(seed: 11);
        await using var other = await DemoLake.CreateAsync(seed: 12);

        Assert.Equal(first.Long(Fingerprint), second.Long(Fingerprint));
        Assert.NotEqual(first.Long(Fingerprint), other.Long(Fingerprint));
    }

    [Fact]
    public async Task Compacted_demo_lake_holds_the_requested_distinct_events_with_duplicates_removed()
    {
        await using var demo = await DemoLake.CreateAsync();

        Assert.True(demo.Result.Duplicates > 0, "some events are sent twice");
        // Retries received long after the original are dropped at import; recent ones by the closing compaction.
        Assert.Equal(demo.Result.Duplicates, demo.Result.DuplicatesDropped + demo.Result.Compaction.DuplicatesDropped);
        Assert.Equal(20_000, demo.Long("SELECT count(*) FROM events"));
        Assert.Equal(20_000, demo.Long("SELECT count(DISTINCT message_id) FROM events"));
        Assert.Equal(0, demo.Long("SELECT count(*) FROM events WHERE visitor_id IS NULL OR country IS NULL OR browser IS NULL OR device_type IS NULL OR anonymous_id IS NOT NULL"));
        Assert.Equal(0, demo.Long("SELECT count(*) FROM events WHERE protocol <> 'tracker' OR library <> 'weir-demo/1'"));
    }

    [Fact]
    public async Task The_lake_is_the_same_however_the_import_is_split_or_deduplicated()
    {
        await using var reference = await DemoLake.CreateAsync();
        var expected = reference.Fingerprint();
        // Tiny chunks: many ranges of days, visitors crossing them.
        await using (var chunked = await DemoLake.CreateAsync(configure: o => o with { EventsPerChunk = 1_500 }))
        {
            Assert.True(chunked.Result.Chunks > reference.Result.Chunks);
            Assert.Equal(expected, chunked.Fingerprint());
        }

        // Every retry left for compaction, none dropped at import: what writing everything and compacting gives.
        await using (var compacted = await DemoLake.CreateAsync(configure: o => o with { RecentWindow = TimeSpan.FromDays(365) }))
        {
            Assert.Equal(0, compacted.Result.DuplicatesDropped);
            Assert.Equal(compacted.Result.Duplicates, compacted.Result.Compaction.DuplicatesDropped);
            Assert.Equal(expected, compacted.Fingerprint());
        }

        await using var allAtImport = await DemoLake.CreateAsync(configure: o => o with { RecentWindow = TimeSpan.Zero });
        Assert.Equal(allAtImport.Result.Duplicates, allAtImport.Result.DuplicatesDropped);
        Assert.Equal(expected, allAtImport.Fingerprint());
    }

    [Fact]
    public async Task Late_events_land_on_their_client_day()
    {
        await using var demo = await DemoLake.CreateAsync();

        Assert.True(demo.Long("SELECT count(*) FROM events WHERE received_at - \"timestamp\" > INTERVAL 1 DAY") > 0);
        Assert.Equal(0, demo.Long(
            "SELECT count(*) FROM events WHERE event_date <> CAST(DATE '1970-01-01' + CAST(floor(epoch_us(\"timestamp\") / 86400000000.0) AS INTEGER) AS DATE)"));
        Assert.True(demo.Long("SELECT count(DISTINCT event_date) FROM events") >= 85, "about 90 days of traffic");
    }

    [Fact]
    public async Task Distributions_are_sane()
    {
        await using var demo = await DemoLake.CreateAsync();

        var topShare = demo.Double("SELECT max(n) / sum(n) FROM (SELECT count(*) AS n FROM events WHERE \"type\" = 'page' GROUP BY path)");
        Assert.InRange(topShare, 0.05, 0.5);
        Assert.True(demo.Long("SELECT count(DISTINCT path) FROM events") > 200);
        Assert.True(demo.Long("SELECT count(DISTINCT country) FROM events") >= 10);
        Assert.Equal(3, demo.Long("SELECT count(DISTINCT device_type) FROM events"));
        Assert.True(demo.Long("SELECT count(DISTINCT browser) FROM events") >= 4);
        Assert.True(demo.Long("SELECT count(DISTINCT source) FROM events") >= 8);
        Assert.True(demo.Long("SELECT count(DISTINCT utm_medium) FROM events") >= 3);
        Assert.True(demo.Long("SELECT count(*) FROM events WHERE city IS NOT NULL") > 0);
        Assert.True(demo.Long("SELECT count(*) FROM events WHERE \"type\" = 'track' AND \"event\" NOT IN ('Signup', 'Purchase') AND properties IS NOT NULL") > 0);

        var weekday = demo.Double("SELECT count(*) / count(DISTINCT event_date) FROM events WHERE dayofweek(event_date) BETWEEN 1 AND 5");
        var weekend = demo.Double("SELECT count(*) / count(DISTINCT event_date) FROM events WHERE dayofweek(event_date) IN (0, 6)");
        Assert.True(weekday > weekend * 1.3, $"weekday {weekday:0} events a day, weekend {weekend:0}");

        Assert.True(demo.Long("SELECT count(*) FROM (SELECT visitor_id FROM events GROUP BY visitor_id HAVING count(*) > 1)") > 0);
        Assert.True(demo.Long("SELECT count(*) FROM (SELECT visitor_id FROM events GROUP BY visitor_id HAVING max(\"timestamp\") - min(\"timestamp\") > INTERVAL 7 DAY)") > 0,
            "returning visitors come back over weeks");

        var pricing = demo.Long("SELECT count(*) FROM events WHERE \"type\" = 'page' AND path = '/pricing'");
        var signupPage = demo.Long("SELECT count(*) FROM events WHERE \"type\" = 'page' AND path = '/signup'");
        var signups = demo.Long("SELECT count(*) FROM events WHERE \"event\" = 'Signup' AND (properties->>'plan') IS NOT NULL");
        var purchases = demo.Long("SELECT count(*) FROM events WHERE \"event\" = 'Purchase' AND CAST((properties->>'amount') AS INTEGER) > 0");
        Assert.True(pricing > signupPage && signupPage > signups && signups > purchases && purchases > 0,
            $"funnel {pricing} > {signupPage} > {signups} > {purchases}");
    }

    [Fact]
    public void Zero_events_is_refused_with_a_clear_message()
    {
        var options = new DemoTrafficOptions { SiteId = "site", Events = 0, End = DemoLake.End };

        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("at least 1", error.Message, StringComparison.Ordinal);
    }
}
