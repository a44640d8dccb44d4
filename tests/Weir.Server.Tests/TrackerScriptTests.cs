using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Weir.Server.Tests;

/// <summary>GET /js/weir.js (caching, ETag, gzip, size) and POST /api/t, the tracker's ingest route.</summary>
public sealed class TrackerScriptTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync(_data.Path);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task The_script_is_javascript_cached_for_a_day_with_a_strong_etag_of_its_bytes()
    {
        using var response = await _server.Client.GetAsync("/js/weir.js");
        var script = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("public, max-age=86400", response.Headers.CacheControl!.ToString());
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal(script.Length, response.Content.Headers.ContentLength);
        var etag = response.Headers.ETag!;
        Assert.False(etag.IsWeak);
        Assert.Equal("\"" + Convert.ToHexStringLower(SHA256.HashData(script).AsSpan(0, 16)) + "\"", etag.Tag);
        var text = Encoding.UTF8.GetString(script);
        Assert.Contains("weir.js", text, StringComparison.Ordinal);
        Assert.Contains("/api/t", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_matching_if_none_match_gets_304_without_a_body_and_another_gets_the_script()
    {
        using var first = await _server.Client.GetAsync("/js/weir.js");
        var etag = first.Headers.ETag!.Tag;

        foreach (var tag in new[] { etag, "W/" + etag, "\"other\", " + etag, "*" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/js/weir.js");
            request.Headers.TryAddWithoutValidation("If-None-Match", tag);
            using var response = await _server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(etag, response.Headers.ETag!.Tag);
            Assert.Equal("public, max-age=86400", response.Headers.CacheControl!.ToString());
        }

        using var stale = new HttpRequestMessage(HttpMethod.Get, "/js/weir.js");
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"0123456789abcdef\""));
        using var changed = await _server.Client.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(first.Content.Headers.ContentLength, (await changed.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task Gzip_is_sent_when_accepted_and_is_at_most_1536_bytes_of_the_same_script()
    {
        var plain = await _server.Client.GetByteArrayAsync("/js/weir.js");

        using var request = new HttpRequestMessage(HttpMethod.Get, "/js/weir.js");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "br;q=1.0, gzip;q=0.8, deflate");
        using var response = await _server.Client.SendAsync(request);
        var gzipped = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        Assert.InRange(gzipped.Length, 1, 1536);
        Assert.Equal(gzipped.Length, response.Content.Headers.ContentLength);
        using (var gzip = new GZipStream(new MemoryStream(gzipped), CompressionMode.Decompress))
        using (var decoded = new MemoryStream())
        {
            await gzip.CopyToAsync(decoded);
            Assert.Equal(plain, decoded.ToArray());
        }

        // Its own strong ETag: a cache must not answer one encoding's revalidation with the other's bytes.
        using var plainResponse = await _server.Client.GetAsync("/js/weir.js");
        Assert.NotEqual(plainResponse.Headers.ETag!.Tag, response.Headers.ETag!.Tag);

        foreach (var refused in new[] { "gzip;q=0", "identity", "gzip;q=0, *" })
        {
            using var identity = new HttpRequestMessage(HttpMethod.Get, "/js/weir.js");
            identity.Headers.TryAddWithoutValidation("Accept-Encoding", refused);
            using var answer = await _server.Client.SendAsync(identity);
            Assert.Empty(answer.Content.Headers.ContentEncoding);
            Assert.Equal(plain, await answer.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task Head_gets_the_headers_without_the_body()
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, "/js/weir.js");
        using var response = await _server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(response.Headers.ETag);
        Assert.True(response.Content.Headers.ContentLength > 0);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Api_t_records_the_trackers_batches_as_protocol_tracker_without_any_id()
    {
        var key = await _server.CreateSiteAsync(allowedOrigins: ["https://shop.example"]);
        var batch = $$$$"""
            {"writeKey":"{{{{key}}}}","sentAt":"2026-12-01T10:00:05.000Z","batch":[
              {"type":"page","messageId":"t-page","timestamp":"2026-12-01T10:00:00.000Z","properties":{},
               "context":{"library":{"name":"weir.js","version":"0.1.0"},"locale":"de-DE","screen":{"width":1280,"height":720},
                          "page":{"url":"https://shop.example/pricing?plan=pro","path":"/pricing","title":"Pricing","referrer":"https://search.example/"}}},
              {"type":"track","event":"Signup","messageId":"t-signup","timestamp":"2026-12-01T10:00:04.000Z","properties":{"plan":"pro"},
               "context":{"library":{"name":"weir.js","version":"0.1.0"},"page":{"url":"https://shop.example/pricing","path":"/pricing","title":"Pricing","referrer":""}}}]}
            """;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/t") { Content = new StringContent(batch, Encoding.UTF8, "text/plain") };
        request.Headers.Add("Origin", "https://shop.example");
        using var response = await _server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("https://shop.example", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var records = _server.LogRecords().ToDictionary(r => r.GetProperty("message_id").GetString()!);
        var page = records["t-page"];
        Assert.Equal("tracker", page.GetProperty("protocol").GetString());
        Assert.Equal("weir.js/0.1.0", page.GetProperty("library").GetString());
        Assert.Equal("page", page.GetProperty("type").GetString());
        Assert.Equal("pageview", page.GetProperty("event").GetString());
        Assert.Equal("/pricing", page.GetProperty("path").GetString());
        Assert.Equal("plan=pro", page.GetProperty("query").GetString());
        Assert.Equal("Pricing", page.GetProperty("title").GetString());
        Assert.Equal("https://search.example/", page.GetProperty("referrer").GetString());
        Assert.Equal(1280, page.GetProperty("screen_width").GetInt32());
        Assert.Equal("de-DE", page.GetProperty("locale").GetString());
        Assert.False(page.TryGetProperty("anonymous_id", out _));
        Assert.False(page.TryGetProperty("user_id", out _));
        var signup = records["t-signup"];
        Assert.Equal("tracker", signup.GetProperty("protocol").GetString());
        Assert.Equal("Signup", signup.GetProperty("event").GetString());
        Assert.Equal("pro", signup.GetProperty("properties").GetProperty("plan").GetString());
        Assert.Equal("/pricing", signup.GetProperty("path").GetString());

        // The Segment API keeps Segment's rule: an event needs a userId or an anonymousId.
        using var segment = await _server.Client.PostAsync("/v1/batch", new StringContent(batch.Replace("t-page", "s-page", StringComparison.Ordinal).Replace("t-signup", "s-signup", StringComparison.Ordinal), Encoding.UTF8, "text/plain"));
        var answer = JsonDocument.Parse(await segment.Content.ReadAsStringAsync()).RootElement.ToString();
        Assert.Contains("batch[0].userId", answer, StringComparison.Ordinal);
        Assert.DoesNotContain(_server.LogRecords(), r => r.GetProperty("message_id").GetString() == "s-page");
    }

    [Fact]
    public async Task Api_t_refuses_an_origin_the_site_does_not_allow()
    {
        var key = await _server.CreateSiteAsync(allowedOrigins: ["https://shop.example"]);
        var body = $$$$"""{"writeKey":"{{{{key}}}}","batch":[{"type":"track","event":"x","context":{"library":{"name":"weir.js","version":"0.1.0"}}}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/t") { Content = new StringContent(body, Encoding.UTF8, "text/plain") };
        request.Headers.Add("Origin", "https://evil.example");
        using var response = await _server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Origin", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // Readable by the page, so the tracker takes the 403 as final instead of retrying it as a network error.
        Assert.Equal("https://evil.example", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Empty(_server.LogRecords());
    }
}
