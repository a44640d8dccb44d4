using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using static Weir.Client.Tests.TestClients;

namespace Weir.Client.Tests;

/// <summary>Each Segment call, as a real server stores it.</summary>
public sealed class CallTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Every_call_type_arrives_with_its_canonical_fields()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        await using var client = Create(server.Client.BaseAddress!, key);

        var before = DateTimeOffset.UtcNow;
        Assert.True(client.Track("user-1", "Order Completed", Properties(("orderId", "o-1"), ("total", 42.5), ("items", new[] { "a", "b" }), ("paid", true))));
        Assert.True(client.Page(null, "Pricing", Properties(("url", "https://shop.example/pricing?plan=pro"), ("title", "Pricing")), new EventOptions { AnonymousId = "anon-1" }));
        Assert.True(client.Identify("user-1", Properties(("email", "u1@shop.example"), ("plan", "pro"))));
        Assert.True(client.Group("user-1", "acme", Properties(("name", "Acme"))));
        Assert.True(client.Alias("user-1", "anon-1"));
        var after = DateTimeOffset.UtcNow;
        await client.FlushAsync();

        var records = server.LogRecords();
        Assert.Equal(5, records.Count);
        var byType = records.ToDictionary(r => r.GetProperty("type").GetString()!);

        var track = byType["track"];
        Assert.Equal("Order Completed", track.GetProperty("event").GetString());
        Assert.Equal("user-1", track.GetProperty("user_id").GetString());
        Assert.False(track.TryGetProperty("anonymous_id", out _));
        Assert.Equal("""{"orderId":"o-1","total":42.5,"items":["a","b"],"paid":true}""", track.GetProperty("properties").GetRawText());

        var page = byType["page"];
        Assert.Equal("anon-1", page.GetProperty("anonymous_id").GetString());
        Assert.False(page.TryGetProperty("user_id", out _));
        Assert.Equal("Pricing", page.GetProperty("name").GetString());
        Assert.Equal("https://shop.example/pricing?plan=pro", page.GetProperty("url").GetString());
        Assert.Equal("/pricing", page.GetProperty("path").GetString());
        Assert.Equal("Pricing", page.GetProperty("title").GetString());

        Assert.Equal("u1@shop.example", byType["identify"].GetProperty("traits").GetProperty("email").GetString());
        Assert.Equal("acme", byType["group"].GetProperty("group_id").GetString());
        Assert.Equal("Acme", byType["group"].GetProperty("traits").GetProperty("name").GetString());
        Assert.Equal("user-1", byType["alias"].GetProperty("user_id").GetString());
        Assert.Equal("anon-1", byType["alias"].GetProperty("previous_id").GetString());

        var ids = records.Select(r => r.GetProperty("message_id").GetString()!).ToList();
        Assert.Equal(5, ids.Distinct(StringComparer.Ordinal).Count());
        foreach (var record in records)
        {
            Assert.Equal(7, Guid.Parse(record.GetProperty("message_id").GetString()!).Version);
            Assert.Equal("Weir.Client/" + ExpectedVersion(), record.GetProperty("library").GetString());

            // The timestamp is the call's, and the server corrects it by how long the event waited before sentAt.
            var original = Time(record, "original_timestamp");
            var sentAt = Time(record, "sent_at");
            var receivedAt = Time(record, "received_at");
            Assert.InRange(original, Truncated(before), after);
            Assert.InRange(sentAt, original, DateTimeOffset.UtcNow);
            var corrected = receivedAt - (sentAt - original);
            // Each of the three times is stored truncated to microseconds.
            Assert.InRange(Time(record, "timestamp"), corrected.AddTicks(-30), corrected.AddTicks(30));
        }

        Assert.Equal(5, client.Stats.Enqueued);
        Assert.Equal(5, client.Stats.Sent);
        Assert.Equal(0, client.Stats.Dropped);
        Assert.Equal(1, client.Stats.Requests);
    }

    [Fact]
    public async Task Given_message_ids_timestamps_and_context_are_sent_as_given()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        await using var client = Create(server.Client.BaseAddress!, key);

        var happened = new DateTimeOffset(2026, 11, 1, 11, 0, 0, TimeSpan.FromHours(1)).AddTicks(1_234_560);
        Assert.True(client.Track("user-7", "Refunded", options: new EventOptions
        {
            MessageId = "refund-7",
            Timestamp = happened,
            Ip = "203.0.113.9",
            UserAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
            Context = Properties(("locale", "de-DE"), ("library", "not this one"), ("ip", "198.51.100.1")),
        }));
        await client.FlushAsync();

        var record = Assert.Single(server.LogRecords());
        Assert.Equal("refund-7", record.GetProperty("message_id").GetString());
        Assert.Equal("2026-11-01T10:00:00.123456Z", record.GetProperty("original_timestamp").GetString());
        Assert.Equal("203.0.113.9", record.GetProperty("ip").GetString());
        Assert.StartsWith("Mozilla/5.0 (X11; Linux", record.GetProperty("user_agent").GetString(), StringComparison.Ordinal);
        Assert.Equal("de-DE", record.GetProperty("locale").GetString());
        Assert.Equal("Weir.Client/" + ExpectedVersion(), record.GetProperty("library").GetString());
    }

    [Fact]
    public async Task Changes_to_the_callers_dictionary_after_the_call_do_not_reach_the_event()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        await using var client = Create(server.Client.BaseAddress!, key);

        var properties = Properties(("plan", "free"), ("seats", 1));
        Assert.True(client.Track("user-1", "Plan Changed", properties));
        properties["plan"] = "pro";
        properties["seats"] = 50;
        properties.Remove("plan");
        await client.FlushAsync();

        Assert.Equal("""{"plan":"free","seats":1}""", Assert.Single(server.LogRecords()).GetProperty("properties").GetRawText());
    }

    [Fact]
    public async Task Values_of_unknown_types_go_through_the_callers_serializer_or_drop_the_event()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        var cart = new Cart("c-1", 3);

        await using (var plain = Create(server.Client.BaseAddress!, key))
        {
            Assert.False(plain.Track("user-1", "Checkout", Properties(("cart", cart))));
            var cyclic = Properties(("name", "loop"));
            cyclic["self"] = cyclic;
            Assert.False(plain.Track("user-1", "Checkout", cyclic));
            Assert.Equal(2, plain.Stats.DroppedFor(DropReason.InvalidEvent));
            Assert.Equal(0, plain.Stats.Enqueued);
        }

        await using (var typed = Create(server.Client.BaseAddress!, key, o => o.SerializerOptions = TestJsonContext.Default.Options))
        {
            Assert.True(typed.Track("user-1", "Checkout", Properties(("cart", cart), ("when", new DateOnly(2026, 12, 7)), ("kind", DayOfWeek.Monday), ("ratio", double.NaN))));
            await typed.FlushAsync();
        }

        var record = Assert.Single(server.LogRecords());
        Assert.Equal("""{"cart":{"id":"c-1","items":3},"when":"2026-12-07","kind":"Monday","ratio":null}""", record.GetProperty("properties").GetRawText());
    }

    [Fact]
    public void Calls_missing_a_required_argument_throw_at_once()
    {
        using var client = Create(new Uri("http://127.0.0.1:" + UnusedPort()), "wk_unused");
        Assert.Throws<ArgumentException>(() => client.Track(null, "Signed Up"));
        Assert.Throws<ArgumentException>(() => client.Track("user-1", ""));
        Assert.Throws<ArgumentException>(() => client.Group("user-1", ""));
        Assert.Throws<ArgumentException>(() => client.Alias("user-1", ""));
        Assert.Throws<ArgumentException>(() => new WeirClient(new WeirClientOptions { WriteKey = "wk" }));
        var error = Assert.Throws<ArgumentException>(() => new WeirClient(new WeirClientOptions
        {
            Endpoint = new Uri("http://127.0.0.1"),
            WriteKey = "wk",
            MaxBatchBytes = 1000,
        }));
        Assert.Contains("MaxBatchBytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, client.Stats.Enqueued);
    }

    private static DateTimeOffset Time(JsonElement record, string field) =>
        DateTimeOffset.Parse(record.GetProperty(field).GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    // Records keep microseconds.
    private static DateTimeOffset Truncated(DateTimeOffset time) => time.AddTicks(-(time.Ticks % 10));

    private static string ExpectedVersion()
    {
        var version = typeof(WeirClient).Assembly.GetName().Version!;
        return $"{version.Major}.{version.Minor}.{version.Build}";
    }
}

public sealed record Cart(string Id, int Items);

[JsonSerializable(typeof(Cart))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class TestJsonContext : JsonSerializerContext;
