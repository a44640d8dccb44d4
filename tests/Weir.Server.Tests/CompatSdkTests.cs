using System.Text.Json;

namespace Weir.Server.Tests;

/// <summary>
/// Other products' official SDKs, unchanged but for their host, against a real Weir server: posthog-node in Node, and
/// posthog-js, Plausible's tracker and Segment's analytics.js in headless Chromium on a page of https://shop.example.
/// </summary>
public sealed class CompatSdkTests : IDisposable
{
    private const string Origin = "https://shop.example";

    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Posthog_node_capture_identify_alias_and_group_identify_arrive_with_their_fields()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();

        var output = JsonDocument.Parse(await NodeScripts.RunAsync("posthog-node.mjs", BaseUrl(server), key)).RootElement;
        Assert.Empty(output.GetProperty("errors").EnumerateArray());
        Assert.True(output.GetProperty("compression").GetBoolean(), "posthog-node did not gzip its batches, so gzip went untested");

        var records = await WaitForEventsAsync(server, "Order Completed", "pageview", "identify", "alias", "group");
        Assert.Equal(5, records.Count);
        Assert.All(records, r => Assert.Equal("posthog", r.GetProperty("protocol").GetString()));
        Assert.All(records, r => Assert.StartsWith("posthog-node/5.74.0", r.GetProperty("library").GetString(), StringComparison.Ordinal));

        var track = Named(records, "Order Completed");
        Assert.Equal("track", track.GetProperty("type").GetString());
        Assert.Equal("0193a6c2-0000-7000-8000-000000000001", track.GetProperty("message_id").GetString());
        Assert.Equal("user-1", track.GetProperty("user_id").GetString());
        Assert.Equal("o-1", track.GetProperty("properties").GetProperty("orderId").GetString());
        Assert.Equal(9.5, track.GetProperty("properties").GetProperty("revenue").GetDouble());
        Assert.Equal("2026-11-21T12:00:00.000000Z", track.GetProperty("original_timestamp").GetString());
        Assert.True(track.TryGetProperty("sent_at", out _), "the batch's sent_at is not in the record");
        // The clock rule: timestamp = received_at − (sent_at − original_timestamp).
        var skew = DateTimeOffset.Parse(track.GetProperty("sent_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            - DateTimeOffset.Parse(track.GetProperty("original_timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var corrected = DateTimeOffset.Parse(track.GetProperty("received_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture) - skew;
        Assert.Equal(corrected, DateTimeOffset.Parse(track.GetProperty("timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture));

        var page = Single(records, "page");
        Assert.Equal("pageview", page.GetProperty("event").GetString());
        Assert.Equal("https://shop.example/pricing?plan=pro", page.GetProperty("url").GetString());
        Assert.Equal("/pricing", page.GetProperty("path").GetString());
        Assert.Equal("plan=pro", page.GetProperty("query").GetString());
        Assert.Equal("Pricing", page.GetProperty("title").GetString());
        Assert.Equal("https://search.example/", page.GetProperty("referrer").GetString());

        var identify = Single(records, "identify");
        Assert.Equal("user-1", identify.GetProperty("user_id").GetString());
        Assert.Equal("u1@shop.example", identify.GetProperty("traits").GetProperty("email").GetString());

        var alias = Single(records, "alias");
        Assert.Equal("user-1", alias.GetProperty("user_id").GetString());
        Assert.Equal("anon-1", alias.GetProperty("previous_id").GetString());

        var group = Single(records, "group");
        Assert.Equal("acme", group.GetProperty("group_id").GetString());
        Assert.Equal("Acme", group.GetProperty("traits").GetProperty("name").GetString());
        Assert.Equal("company", group.GetProperty("properties").GetProperty("$group_type").GetString());
    }

    [Fact]
    public async Task Posthog_js_in_chromium_sends_a_pageview_and_an_event()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync(allowedOrigins: [Origin]);

        var output = await RunBrowserAsync("posthog", server, key);
        var records = await WaitForEventsAsync(server, "pageview", "Signup Clicked");
        Assert.All(records, r => Assert.Equal("posthog", r.GetProperty("protocol").GetString()));
        Assert.All(records, r => Assert.Equal("web/1.455.2", r.GetProperty("library").GetString()));

        var page = Single(records, "page");
        Assert.Equal("pageview", page.GetProperty("event").GetString());
        Assert.Equal("https://shop.example/pricing?utm_source=newsletter", page.GetProperty("url").GetString());
        Assert.Equal("shop.example", page.GetProperty("host").GetString());
        Assert.Equal("/pricing", page.GetProperty("path").GetString());
        Assert.Equal("Pricing", page.GetProperty("title").GetString());
        Assert.Equal("https://search.example/?q=weir", page.GetProperty("referrer").GetString());
        Assert.Equal(1280, page.GetProperty("screen_width").GetInt32());
        Assert.Equal("de-DE", page.GetProperty("locale").GetString());
        AssertBrowserTimes(page);

        var track = Named(records, "Signup Clicked");
        Assert.Equal("track", track.GetProperty("type").GetString());
        Assert.Equal("pro", track.GetProperty("properties").GetProperty("plan").GetString());
        Assert.Equal(3, track.GetProperty("properties").GetProperty("seats").GetInt32());
        // Not identified: posthog-js's distinct id is the visitor's device id, an anonymous id.
        Assert.False(track.TryGetProperty("user_id", out _));
        Assert.Equal(page.GetProperty("anonymous_id").GetString(), track.GetProperty("anonymous_id").GetString());
        Assert.Equal("/pricing", track.GetProperty("path").GetString());
        Assert.Contains(output.Weir, r => r.Path == $"/array/{key}/config" && r.Status == 200);
    }

    [Fact]
    public async Task Plausible_tracker_in_chromium_sends_a_pageview_and_an_event_with_revenue()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        await server.CreateSiteAsync(allowedOrigins: [Origin]);

        var output = await RunBrowserAsync("plausible", server, "none");
        Assert.All(output.Weir, r => Assert.Equal(202, r.Status));
        var records = await WaitForEventsAsync(server, "pageview", "Signup Clicked");
        Assert.All(records, r => Assert.Equal("plausible", r.GetProperty("protocol").GetString()));
        Assert.All(records, r => Assert.StartsWith("plausible/", r.GetProperty("library").GetString(), StringComparison.Ordinal));

        var page = Single(records, "page");
        Assert.Equal("pageview", page.GetProperty("event").GetString());
        Assert.Equal("https://shop.example/pricing?utm_source=newsletter", page.GetProperty("url").GetString());
        Assert.Equal("/pricing", page.GetProperty("path").GetString());
        Assert.Equal("utm_source=newsletter", page.GetProperty("query").GetString());
        Assert.Equal("https://search.example/?q=weir", page.GetProperty("referrer").GetString());
        Assert.Contains("Chrome/156", page.GetProperty("user_agent").GetString(), StringComparison.Ordinal);
        AssertBrowserTimes(page);

        var track = Named(records, "Signup Clicked");
        Assert.Equal("track", track.GetProperty("type").GetString());
        var properties = track.GetProperty("properties");
        Assert.Equal("pro", properties.GetProperty("plan").GetString());
        Assert.Equal("3", properties.GetProperty("seats").GetString());
        Assert.Equal(29.5, properties.GetProperty("revenue").GetDouble());
        Assert.Equal("EUR", properties.GetProperty("currency").GetString());

        // The tracker reports time on page when the page is left; such an event is a track with its measures.
        foreach (var engagement in records.Where(r => r.GetProperty("event").GetString() == "engagement"))
        {
            Assert.Equal("track", engagement.GetProperty("type").GetString());
            Assert.True(engagement.GetProperty("context").GetProperty("engagement_time").GetInt64() >= 0);
        }
    }

    [Fact]
    public async Task Segment_analytics_js_in_chromium_takes_its_settings_from_weir_and_sends_there()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync(allowedOrigins: [Origin]);

        var output = await RunBrowserAsync("segment", server, key);
        Assert.Contains(output.Weir, r => r.Path == $"/v1/projects/{key}/settings" && r.Status == 200);
        var records = await WaitForEventsAsync(server, "pageview", "Signup Clicked");
        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.Equal("segment", r.GetProperty("protocol").GetString()));
        Assert.All(records, r => Assert.Equal("analytics.js/npm:next-1.84.3", r.GetProperty("library").GetString()));

        var page = Single(records, "page");
        Assert.Equal("pageview", page.GetProperty("event").GetString());
        Assert.Equal("https://shop.example/pricing?utm_source=newsletter", page.GetProperty("url").GetString());
        Assert.Equal("/pricing", page.GetProperty("path").GetString());
        Assert.Equal("Pricing", page.GetProperty("title").GetString());
        Assert.Equal("https://search.example/?q=weir", page.GetProperty("referrer").GetString());
        AssertBrowserTimes(page);

        var track = Named(records, "Signup Clicked");
        Assert.Equal("track", track.GetProperty("type").GetString());
        Assert.Equal(3, track.GetProperty("properties").GetProperty("seats").GetInt32());
        Assert.Equal(page.GetProperty("anonymous_id").GetString(), track.GetProperty("anonymous_id").GetString());
        Assert.Equal("/pricing", track.GetProperty("path").GetString());
    }

    private sealed record WeirRequest(string Method, string Path, int Status);

    private sealed record BrowserRun(IReadOnlyList<WeirRequest> Weir);

    private static async Task<BrowserRun> RunBrowserAsync(string sdk, RunningServer server, string key)
    {
        var output = JsonDocument.Parse(await NodeScripts.RunAsync("browser-sdk.mjs", sdk, BaseUrl(server), key)).RootElement;
        var errors = output.GetProperty("errors").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        var requests = output.GetProperty("weir").EnumerateArray()
            .Select(r => new WeirRequest(r.GetProperty("method").GetString()!, r.GetProperty("path").GetString()!, r.GetProperty("status").GetInt32()))
            .ToList();
        Assert.NotEmpty(requests);
        return new BrowserRun(requests);
    }

    /// <summary>A browser's event: sent within the test's minute, its time corrected by its own clock or the server's.</summary>
    private static void AssertBrowserTimes(JsonElement record)
    {
        var received = DateTimeOffset.Parse(record.GetProperty("received_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var timestamp = DateTimeOffset.Parse(record.GetProperty("timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(received - timestamp, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        Assert.InRange(DateTimeOffset.UtcNow - received, TimeSpan.Zero, TimeSpan.FromMinutes(5));
    }

    private static JsonElement Single(List<JsonElement> records, string type) =>
        Assert.Single(records, r => r.GetProperty("type").GetString() == type);

    private static string BaseUrl(RunningServer server) => server.Client.BaseAddress!.ToString().TrimEnd('/');

    /// <summary>
    /// Polls the log until it holds an event of each name in <paramref name="events"/> (the <c>event</c> column), or
    /// fails after 30 s. Browser SDKs may add events of their own (posthog-js's $pageleave, Plausible's engagement).
    /// </summary>
    private static async Task<List<JsonElement>> WaitForEventsAsync(RunningServer server, params string[] events)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var records = server.LogRecords();
            var missing = events.Where(name => !records.Any(r => r.GetProperty("event").GetString() == name)).ToList();
            if (missing.Count == 0)
            {
                return records;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no {string.Join(", ", missing)} in the log within 30 s: {string.Join("\n", records)}");
            await Task.Delay(50);
        }
    }

    private static JsonElement Named(List<JsonElement> records, string eventName) =>
        Assert.Single(records, r => r.GetProperty("event").GetString() == eventName);
}
