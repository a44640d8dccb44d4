using System.Text.Json;

namespace Weir.Server.Tests;

/// <summary>Segment's official Node SDK, unchanged but for its host, against a real Weir server.</summary>
public sealed class SegmentSdkTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Ten_thousand_events_from_the_segment_node_sdk_arrive_exactly_once_with_their_fields()
    {
        const int Events = 10_000;
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();

        var output = await NodeScripts.RunAsync("segment-node.mjs", server.Client.BaseAddress!.ToString().TrimEnd('/'), key, Events.ToString(System.Globalization.CultureInfo.InvariantCulture), "sdk");
        var summary = JsonDocument.Parse(output).RootElement;
        Assert.Empty(summary.GetProperty("errors").EnumerateArray());
        var sent = summary.GetProperty("sent").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(Events, sent.Count);

        var records = server.LogRecords();
        var byId = records.GroupBy(r => r.GetProperty("message_id").GetString()!).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(Events, records.Count);
        Assert.True(byId.Values.All(list => list.Count == 1), "some messageId is in the log more than once");
        Assert.Equal(sent.Order(StringComparer.Ordinal), byId.Keys.Order(StringComparer.Ordinal));

        // The script cycles through track, page, screen, identify, group and alias; check each kind's fields.
        var track = byId["sdk-0"][0];
        Assert.Equal("track", track.GetProperty("type").GetString());
        Assert.Equal("Order Completed", track.GetProperty("event").GetString());
        Assert.Equal("user-0", track.GetProperty("user_id").GetString());
        Assert.Equal("o-0", track.GetProperty("properties").GetProperty("orderId").GetString());
        Assert.Equal("2026-11-21T12:00:00", track.GetProperty("original_timestamp").GetString()![..19]);
        Assert.StartsWith("@segment/analytics-node", track.GetProperty("library").GetString(), StringComparison.Ordinal);

        var page = byId["sdk-1"][0];
        Assert.Equal("page", page.GetProperty("type").GetString());
        Assert.Equal("https://shop.example/pricing?utm_source=news&i=1", page.GetProperty("url").GetString());
        Assert.Equal("/pricing", page.GetProperty("path").GetString());
        Assert.Equal("Pricing", page.GetProperty("title").GetString());

        Assert.Equal("screen", byId["sdk-2"][0].GetProperty("type").GetString());
        var identify = byId["sdk-3"][0];
        Assert.Equal("identify", identify.GetProperty("type").GetString());
        Assert.Equal("u3@shop.example", identify.GetProperty("traits").GetProperty("email").GetString());
        var group = byId["sdk-4"][0];
        Assert.Equal("group", group.GetProperty("type").GetString());
        Assert.Equal("g-4", group.GetProperty("group_id").GetString());
        var alias = byId["sdk-5"][0];
        Assert.Equal("alias", alias.GetProperty("type").GetString());
        Assert.Equal("anon-5", alias.GetProperty("previous_id").GetString());
        Assert.Equal(Events / 6, records.Count(r => r.GetProperty("type").GetString() == "alias"));
    }
}
