using System.Globalization;
using System.Text.Json;

namespace Weir.Server.Tests;

/// <summary>
/// weir.js in headless Chromium (tests/sdk/tracker-browser.mjs) against a real Weir server: the page is served by
/// Playwright as https://shop.example, the script and the events go to the server over loopback.
/// </summary>
public sealed class TrackerBrowserTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Page_views_clicks_custom_and_offline_events_arrive_exactly_once_with_their_fields_and_times()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync(allowedOrigins: ["https://shop.example"]);

        var output = JsonDocument.Parse(await NodeScripts.RunAsync("tracker-browser.mjs", BaseUrl(server), key, "scenario")).RootElement;
        var offlineAt = DateTimeOffset.FromUnixTimeMilliseconds(output.GetProperty("offlineAt").GetInt64());
        var onlineAt = DateTimeOffset.FromUnixTimeMilliseconds(output.GetProperty("onlineAt").GetInt64());
        var stored = output.GetProperty("stored").EnumerateArray().Select(e => e.GetString()!).ToHashSet();
        Assert.Equal(4, stored.Count);
        Assert.Equal(0, output.GetProperty("storedAfter").GetInt32());

        // What the page did, in order: (type, event, path). The last engagement leaves by sendBeacon when the tab closes.
        (string Type, string Event, string Path)[] expected =
        [
            ("page", "pageview", "/"), ("track", "Early", "/"),
            ("track", "engagement", "/"), ("page", "pageview", "/pricing"),
            ("track", "engagement", "/pricing"), ("page", "pageview", "/"),
            ("track", "Outbound Link: Click", "/"), ("track", "File Download", "/"), ("track", "Form: Submission", "/"),
            ("track", "Signup", "/"),
            ("track", "Offline One", "/"), ("track", "engagement", "/"), ("page", "pageview", "/offline"), ("track", "Offline Two", "/offline"),
            ("track", "engagement", "/offline"),
        ];
        var records = await WaitForRecordsAsync(server, expected.Length);

        Assert.Equal(
            expected.Select(e => $"{e.Type} {e.Event} {e.Path}").Order(StringComparer.Ordinal),
            records.Select(r => $"{Text(r, "type")} {Text(r, "event")} {Text(r, "path")}").Order(StringComparer.Ordinal));
        Assert.Equal(records.Count, records.Select(r => Text(r, "message_id")).Distinct().Count());
        foreach (var record in records)
        {
            Assert.Equal("tracker", Text(record, "protocol"));
            Assert.StartsWith("weir.js/", Text(record, "library"), StringComparison.Ordinal);
            Assert.Equal("https://shop.example" + Text(record, "path"), Text(record, "url"));
            Assert.Equal("Shop", Text(record, "title"));
            Assert.False(record.TryGetProperty("anonymous_id", out _), "the tracker keeps no id in the browser");
            Assert.True(record.GetProperty("screen_width").GetInt32() > 0);
        }

        Assert.Equal("stub", Single(records, "Early").GetProperty("properties").GetProperty("from").GetString());
        Assert.Equal("pro", Single(records, "Signup").GetProperty("properties").GetProperty("plan").GetString());
        Assert.Equal("https://elsewhere.example/away", Single(records, "Outbound Link: Click").GetProperty("properties").GetProperty("url").GetString());
        Assert.Equal("https://shop.example/files/report.pdf", Single(records, "File Download").GetProperty("properties").GetProperty("url").GetString());
        var form = Single(records, "Form: Submission").GetProperty("properties");
        Assert.Equal("newsletter", form.GetProperty("form").GetString());
        Assert.Equal("/", form.GetProperty("path").GetString());
        Assert.Equal(2, Single(records, "Offline Two").GetProperty("properties").GetProperty("n").GetInt32());
        foreach (var engagement in records.Where(r => Text(r, "event") == "engagement"))
        {
            var properties = engagement.GetProperty("properties");
            Assert.Equal(Text(engagement, "path"), properties.GetProperty("path").GetString());
            Assert.True(properties.GetProperty("engaged_ms").GetInt64() > 0, $"engagement on {Text(engagement, "path")} without time");
        }

        // The events made offline waited in localStorage with their own timestamps: the server's time rule puts them
        // back inside the offline window, although they arrived only after it.
        var offline = records.Where(r => stored.Contains(Text(r, "message_id"))).ToList();
        Assert.Equal(["Offline One", "Offline Two", "engagement", "pageview"], offline.Select(r => Text(r, "event")).Order(StringComparer.Ordinal));
        foreach (var record in offline)
        {
            var original = Time(record, "original_timestamp");
            var sentAt = Time(record, "sent_at");
            var receivedAt = Time(record, "received_at");
            var timestamp = Time(record, "timestamp");
            Assert.InRange(original, offlineAt, onlineAt);
            Assert.True(sentAt >= onlineAt, $"sent at {sentAt:O}, before the browser was back online at {onlineAt:O}");
            Assert.True(receivedAt >= onlineAt);
            Assert.Equal(receivedAt - (sentAt - original), timestamp);
            Assert.InRange(timestamp, offlineAt, onlineAt + (receivedAt - sentAt));
            Assert.True(timestamp < receivedAt, "an offline event is dated when it happened, not when it arrived");
        }

        var closing = Assert.Single(records, r => Text(r, "event") == "engagement" && Text(r, "path") == "/offline");
        Assert.True(Time(closing, "original_timestamp") > onlineAt);
        foreach (var record in records.Where(r => !stored.Contains(Text(r, "message_id")) && Text(r, "message_id") != Text(closing, "message_id")))
        {
            Assert.True(Time(record, "original_timestamp") < offlineAt, $"{Text(record, "event")} was not sent before going offline");
        }
    }

    [Fact]
    public async Task With_data_hash_each_hash_route_is_a_page_view_whose_path_holds_the_hash()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync(allowedOrigins: ["https://shop.example"]);

        await NodeScripts.RunAsync("tracker-browser.mjs", BaseUrl(server), key, "hash");

        // /app#/a, on to #/b, back to #/a, then the tab closes; each route change ends the last route's engagement.
        var records = await WaitForRecordsAsync(server, 6);
        Assert.Equal(
            ["page /app#/a", "track /app#/a", "page /app#/b", "track /app#/b", "page /app#/a", "track /app#/a"],
            records.Select(r => $"{Text(r, "type")} {Text(r, "path")}"));
        Assert.All(records.Where(r => Text(r, "type") == "track"), r => Assert.Equal("engagement", Text(r, "event")));
        Assert.Equal("https://shop.example/app#/b", Text(records[2], "url"));
    }

    [Fact]
    public async Task Do_not_track_and_global_privacy_control_with_data_respect_dnt_send_nothing()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync(allowedOrigins: ["https://shop.example"]);

        var output = JsonDocument.Parse(await NodeScripts.RunAsync("tracker-browser.mjs", BaseUrl(server), key, "privacy")).RootElement;

        // The control page (Do Not Track, but no data-respect-dnt) was tracked, by the same server and browser, up
        // to the engagement its closing sent; the pages before it sent nothing at all.
        var records = await WaitForRecordsAsync(server, 3);
        Assert.Equal(["/control Control", "/control engagement", "/control pageview"], records.Select(r => $"{Text(r, "path")} {Text(r, "event")}").Order(StringComparer.Ordinal));
        Assert.Equal(0, output.GetProperty("blockedRequests").GetInt32());
        foreach (var signal in new[] { "dnt", "gpc" })
        {
            var page = output.GetProperty(signal);
            Assert.True(page.GetProperty("noop").GetBoolean(), $"weir.js did not run on the {signal} page");
            Assert.Equal(0, page.GetProperty("stored").GetInt32());
        }
    }

    [Fact]
    public async Task Events_a_busy_server_refused_wait_in_storage_and_arrive_with_the_30_second_retry()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync(allowedOrigins: ["https://shop.example"]);

        // The browser stays online; the first answers are 503 (made by the test's browser, as a server shedding load
        // gives them), then the page's clock is moved 30 s on, to the tracker's retry, and the real server takes them.
        var output = JsonDocument.Parse(await NodeScripts.RunAsync("tracker-browser.mjs", BaseUrl(server), key, "retry")).RootElement;
        Assert.True(output.GetProperty("refused").GetInt32() >= 1);
        Assert.Equal(0, output.GetProperty("deliveredBefore").GetInt32());
        Assert.Equal(0, output.GetProperty("storedAfter").GetInt32());
        var stored = output.GetProperty("stored").EnumerateArray().Select(e => e.GetString()!).ToList();

        // The closing page's engagement went straight through: the server no longer refused anything.
        var records = await WaitForRecordsAsync(server, 3);
        Assert.Equal(["page pageview /busy", "track Retry Me /busy", "track engagement /busy"],
            records.Select(r => $"{Text(r, "type")} {Text(r, "event")} {Text(r, "path")}").Order(StringComparer.Ordinal));
        var retried = records.Where(r => stored.Contains(Text(r, "message_id"))).ToList();
        Assert.Equal(["Retry Me", "pageview"], retried.Select(r => Text(r, "event")).Order(StringComparer.Ordinal));
        foreach (var record in retried)
        {
            // Sent by the retry, 30 s (of the page's clock) after they happened: dated when they happened.
            var original = Time(record, "original_timestamp");
            var sentAt = Time(record, "sent_at");
            Assert.True(sentAt - original >= TimeSpan.FromSeconds(30), $"sent {sentAt - original} after it happened");
            Assert.Equal(Time(record, "received_at") - (sentAt - original), Time(record, "timestamp"));
        }
    }

    private static string BaseUrl(RunningServer server) => server.Client.BaseAddress!.ToString().TrimEnd('/');

    /// <summary>Polls the server's log until it holds at least <paramref name="count"/> records, or the deadline passes.</summary>
    private static async Task<List<JsonElement>> WaitForRecordsAsync(RunningServer server, int count)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            var records = server.LogRecords();
            if (records.Count >= count || DateTime.UtcNow > deadline)
            {
                return records;
            }

            await Task.Delay(20);
        }
    }

    private static string Text(JsonElement record, string name) =>
        record.TryGetProperty(name, out var value) ? value.GetString() ?? "" : "";

    private static JsonElement Single(List<JsonElement> records, string eventName) => Assert.Single(records, r => Text(r, "event") == eventName);

    private static DateTimeOffset Time(JsonElement record, string name) =>
        DateTimeOffset.Parse(Text(record, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
