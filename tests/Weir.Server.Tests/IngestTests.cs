using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Weir.Server.Ingest;

namespace Weir.Server.Tests;

public sealed class IngestTests : IDisposable
{
    private const string Track = """{"type":"track","event":"Signup","userId":"u-1","messageId":"m-1","properties":{"plan":"pro"},"timestamp":"2026-11-21T10:00:00.000Z","sentAt":"2026-11-21T10:00:00.000Z"}""";

    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    private static HttpRequestMessage Post(string path, string body, string? writeKey, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (writeKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
        }

        return request;
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task A_tracked_event_is_durable_in_the_log_when_acknowledged()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        var response = await server.Client.SendAsync(Post("/v1/track", Track, key));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await Json(response)).GetProperty("success").GetBoolean());

        // Acknowledged means committed: the record is below the committed position already.
        var record = Assert.Single(server.LogRecords());
        Assert.Equal("m-1", record.GetProperty("message_id").GetString());
        Assert.Equal("track", record.GetProperty("type").GetString());
        Assert.Equal("Signup", record.GetProperty("event").GetString());
        Assert.Equal("pro", record.GetProperty("properties").GetProperty("plan").GetString());
        Assert.Equal(server.Server.Sites.All[0].Id, record.GetProperty("site_id").GetString());
        Assert.Equal("segment", record.GetProperty("protocol").GetString());
    }

    [Fact]
    public async Task The_write_key_may_come_in_the_body()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        var body = Track.Replace("\"type\"", $"\"writeKey\":\"{key}\",\"type\"", StringComparison.Ordinal);
        var response = await server.Client.SendAsync(Post("/v1/track", body, writeKey: null, contentType: "text/plain"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(server.LogRecords());
    }

    [Fact]
    public async Task A_missing_or_unknown_write_key_gets_401_and_nothing_is_stored()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        await server.CreateSiteAsync();
        var missing = await server.Client.SendAsync(Post("/v1/track", Track, writeKey: null));
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("writeKey", (await Json(missing)).GetProperty("field").GetString());
        var unknown = await server.Client.SendAsync(Post("/v1/track", Track, "wk_nobody"));
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal("unknown_write_key", (await Json(unknown)).GetProperty("code").GetString());
        Assert.Empty(server.LogRecords());
    }

    [Fact]
    public async Task A_batch_keeps_its_valid_events_and_names_the_invalid_ones_by_index()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        var body = """
            {"batch":[
              {"type":"track","event":"A","userId":"u","messageId":"b-0"},
              {"type":"track","userId":"u","messageId":"b-1"},
              {"type":"identify","anonymousId":"a","messageId":"b-2","traits":{"plan":"pro"}},
              {"type":"page","messageId":"b-3"}
            ]}
            """;
        var response = await server.Client.SendAsync(Post("/v1/batch", body, key));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await Json(response);
        Assert.Equal(2, json.GetProperty("accepted").GetInt32());
        var errors = json.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal([1, 3], errors.Select(e => e.GetProperty("index").GetInt32()));
        Assert.Equal("batch[1].event", errors[0].GetProperty("field").GetString());
        Assert.Equal(["b-0", "b-2"], server.LogRecords().Select(r => r.GetProperty("message_id").GetString()));
    }

    [Fact]
    public async Task A_gzip_body_is_accepted_and_a_wrong_content_type_is_not()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(Track));
        }

        var request = Post("/v1/track", string.Empty, key);
        request.Content = new ByteArrayContent(compressed.ToArray());
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Content.Headers.ContentEncoding.Add("gzip");
        Assert.Equal(HttpStatusCode.OK, (await server.Client.SendAsync(request)).StatusCode);

        var xml = await server.Client.SendAsync(Post("/v1/track", "<track/>", key, "application/xml"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, xml.StatusCode);
        Assert.Single(server.LogRecords());
    }

    [Fact]
    public async Task An_unknown_call_gets_404_naming_it()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        var response = await server.Client.SendAsync(Post("/v1/trak", Track, key));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("call", (await Json(response)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task The_pixel_always_answers_a_gif_and_stores_good_hits()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        var good = await server.Client.GetAsync($"/p.gif?k={key}&u=https%3A%2F%2Fshop.example%2Fpricing&r=https%3A%2F%2Fsearch.example%2F&p.plan=pro");
        var unknown = await server.Client.GetAsync("/p.gif?k=wk_nobody&u=https%3A%2F%2Fshop.example%2F");
        var empty = await server.Client.GetAsync("/p.gif");
        foreach (var response in new[] { good, unknown, empty })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/gif", response.Content.Headers.ContentType!.MediaType);
            Assert.True(response.Headers.CacheControl!.NoStore);
            var gif = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(43, gif.Length);
            Assert.Equal("GIF89a"u8.ToArray(), gif[..6]);
        }

        var record = Assert.Single(server.LogRecords());
        Assert.Equal("pixel", record.GetProperty("protocol").GetString());
        Assert.Equal("https://shop.example/pricing", record.GetProperty("url").GetString());
        var metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Contains("weir_ingest_events_rejected_total{reason=\"unknown_write_key\",protocol=\"pixel\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("weir_ingest_events_accepted_total{protocol=\"pixel\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preflights_are_answered_and_a_sites_allowed_origins_are_enforced()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync(allowedOrigins: ["https://shop.example"]);
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/track");
        preflight.Headers.Add("Origin", "https://shop.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        var answer = await server.Client.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal("https://shop.example", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", answer.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);

        var allowed = Post("/v1/track", Track, key);
        allowed.Headers.Add("Origin", "https://shop.example");
        var ok = await server.Client.SendAsync(allowed);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("https://shop.example", ok.Headers.GetValues("Access-Control-Allow-Origin").Single());

        var foreign = Post("/v1/track", Track.Replace("m-1", "m-2", StringComparison.Ordinal), key);
        foreign.Headers.Add("Origin", "https://evil.example");
        var refused = await server.Client.SendAsync(foreign);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("Origin", (await Json(refused)).GetProperty("field").GetString());
        Assert.Single(server.LogRecords());
    }

    [Fact]
    public async Task A_write_key_over_its_rate_gets_429_with_retry_after()
    {
        await using var server = await RunningServer.StartAsync(_data.Path, ingest: new IngestServerOptions { RequestsPerSecondPerKey = 1 });
        var key = await server.CreateSiteAsync();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add((await server.Client.SendAsync(Post("/v1/track", Track.Replace("m-1", $"m-{i}", StringComparison.Ordinal), key))).StatusCode);
        }

        // A bucket of two tokens: the first two pass, the next ones within the same second do not.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK], statuses.Take(2));
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses.Skip(2));
        var limited = await server.Client.SendAsync(Post("/v1/track", Track, key));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter!.Delta > TimeSpan.Zero);
        Assert.Equal(statuses.Count(s => s == HttpStatusCode.OK), server.LogRecords().Count);
    }

    [Fact]
    public async Task Low_disk_space_sheds_load_with_503_and_stores_nothing()
    {
        await using var server = await RunningServer.StartAsync(_data.Path, ingest: new IngestServerOptions { MinFreeDiskBytes = long.MaxValue });
        var key = await server.CreateSiteAsync();
        var response = await server.Client.SendAsync(Post("/v1/track", Track, key));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("disk_low", (await Json(response)).GetProperty("code").GetString());
        Assert.NotNull(response.Headers.RetryAfter);
        var pixel = await server.Client.GetAsync($"/p.gif?k={key}&u=https%3A%2F%2Fshop.example%2F");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, pixel.StatusCode);
        Assert.Empty(server.LogRecords());
    }

    [Fact]
    public async Task A_backlog_over_its_limit_sheds_load_until_the_consumer_catches_up()
    {
        await using var server = await RunningServer.StartAsync(_data.Path, ingest: new IngestServerOptions { MaxBacklogBytes = 1 });
        var key = await server.CreateSiteAsync();
        var log = server.Server.EventLog;
        log.RegisterConsumer("test-loader");
        Assert.Equal(HttpStatusCode.OK, (await server.Client.SendAsync(Post("/v1/track", Track, key))).StatusCode);

        var refused = await server.Client.SendAsync(Post("/v1/track", Track.Replace("m-1", "m-2", StringComparison.Ordinal), key));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("backlog", (await Json(refused)).GetProperty("code").GetString());

        log.Checkpoint("test-loader", log.CommittedPosition);
        // The lake is a consumer too: its checkpoint moves when it flushes.
        await server.Server.Lake.WhenLoadedAsync(log.CommittedPosition);
        await server.Server.Lake.FlushAsync();
        Assert.Equal(HttpStatusCode.OK, (await server.Client.SendAsync(Post("/v1/track", Track.Replace("m-1", "m-3", StringComparison.Ordinal), key))).StatusCode);
        Assert.Equal(["m-1", "m-3"], server.LogRecords().Select(r => r.GetProperty("message_id").GetString()));
    }

    [Fact]
    public async Task Acknowledged_events_survive_a_restart()
    {
        await using (var server = await RunningServer.StartAsync(_data.Path))
        {
            var key = await server.CreateSiteAsync();
            Assert.Equal(HttpStatusCode.OK, (await server.Client.SendAsync(Post("/v1/track", Track, key))).StatusCode);
        }

        await using (var server = await RunningServer.StartAsync(_data.Path))
        {
            Assert.Equal("m-1", Assert.Single(server.LogRecords()).GetProperty("message_id").GetString());
            Assert.Equal(1, server.Server.EventLog.Recovery.RecordsRecovered);
        }
    }
}
