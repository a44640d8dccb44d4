using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Weir.Server.Tests;

/// <summary>The compatibility endpoints over plain HTTP: Plausible's, PostHog's and analytics.js's settings.</summary>
public sealed class CompatEndpointTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task A_plausible_event_is_accepted_with_202_for_the_site_of_its_domain_with_or_without_www()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        await server.CreateSiteAsync("shop.example", ["https://shop.example"]);

        using var request = Text(HttpMethod.Post, "/api/event", """{"n":"pageview","u":"https://shop.example/a","d":"WWW.Shop.Example","r":null}""");
        request.Headers.Add("Origin", "https://shop.example");
        request.Headers.UserAgent.ParseAdd("ServerSide/1.0");
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("https://shop.example", response.Headers.GetValues("Access-Control-Allow-Origin").Single());

        var record = Assert.Single(server.LogRecords());
        Assert.Equal("plausible", record.GetProperty("protocol").GetString());
        Assert.Equal("page", record.GetProperty("type").GetString());
        Assert.Equal(server.Server.Sites.All[0].Id, record.GetProperty("site_id").GetString());
        Assert.Equal("ServerSide/1.0", record.GetProperty("user_agent").GetString());
    }

    [Fact]
    public async Task A_site_registered_with_www_receives_plausible_events_for_its_bare_domain()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        await server.CreateSiteAsync("www.blog.example");

        var result = await SendAsync(server, Text(HttpMethod.Post, "/api/event", """{"n":"pageview","u":"https://blog.example/","d":"blog.example."}"""));
        Assert.Equal(HttpStatusCode.Accepted, result.Status);
        Assert.Equal(server.Server.Sites.All[0].Id, Assert.Single(server.LogRecords()).GetProperty("site_id").GetString());
    }

    [Fact]
    public async Task A_plausible_event_for_an_unknown_domain_or_a_refused_origin_is_refused_naming_why()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        await server.CreateSiteAsync("shop.example", ["https://shop.example"]);

        var unknown = await SendAsync(server, Text(HttpMethod.Post, "/api/event", """{"n":"pageview","u":"https://x.example/","d":"x.example"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Equal("domain", unknown.Json.GetProperty("field").GetString());
        Assert.Equal("unknown_domain", unknown.Json.GetProperty("code").GetString());
        Assert.Contains("x.example", unknown.Json.GetProperty("error").GetString(), StringComparison.Ordinal);

        using var foreign = Text(HttpMethod.Post, "/api/event", """{"n":"pageview","u":"https://shop.example/","d":"shop.example"}""");
        foreign.Headers.Add("Origin", "https://evil.example");
        var refused = await SendAsync(server, foreign);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal("Origin", refused.Json.GetProperty("field").GetString());
        Assert.Empty(server.LogRecords());
    }

    [Fact]
    public async Task Posthog_bodies_in_every_encoding_the_sdks_use_are_accepted()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        string Event(string name) => "{\"api_key\":\"" + key + "\",\"event\":\"" + name + "\",\"distinct_id\":\"d-1\",\"properties\":{\"n\":1}}";

        var plain = await SendAsync(server, Json(HttpMethod.Post, "/capture/", Event("plain")));
        using var gzipJs = new HttpRequestMessage(HttpMethod.Post, "/e/?ip=1&_=1700000000000&ver=1.455.2&compression=gzip-js")
        {
            Content = new ByteArrayContent(Gzip(Event("gzip-js"))),
        };
        gzipJs.Content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        var sniffed = await SendAsync(server, gzipJs);
        using var encoded = new HttpRequestMessage(HttpMethod.Post, "/batch")
        {
            Content = new ByteArrayContent(Gzip("{\"api_key\":\"" + key + "\",\"batch\":[" + Event("batch") + "],\"sent_at\":\"2026-01-01T00:00:00Z\"}")),
        };
        encoded.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        encoded.Content.Headers.ContentEncoding.Add("gzip");
        var batch = await SendAsync(server, encoded);
        using var form = new HttpRequestMessage(HttpMethod.Post, "/i/v0/e/?compression=base64")
        {
            Content = new FormUrlEncodedContent([new("data", Convert.ToBase64String(Encoding.UTF8.GetBytes($"[{Event("form")}]")))]),
        };
        var formResult = await SendAsync(server, form);

        foreach (var result in new[] { plain, sniffed, batch, formResult })
        {
            Assert.Equal(HttpStatusCode.OK, result.Status);
            Assert.Equal(1, result.Json.GetProperty("status").GetInt32());
        }

        var events = server.LogRecords().Select(r => r.GetProperty("event").GetString()).ToList();
        Assert.Equal(["plain", "gzip-js", "batch", "form"], events);
    }

    [Fact]
    public async Task Posthog_without_a_known_key_is_401_naming_api_key()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        await server.CreateSiteAsync();

        var missing = await SendAsync(server, Json(HttpMethod.Post, "/e/", """{"event":"e","distinct_id":"d"}"""));
        var unknown = await SendAsync(server, Json(HttpMethod.Post, "/e/", """{"api_key":"phc_unknown","event":"e","distinct_id":"d"}"""));
        Assert.Equal(HttpStatusCode.Unauthorized, missing.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.Status);
        Assert.Equal("api_key", missing.Json.GetProperty("field").GetString());
        Assert.Equal("api_key", unknown.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Posthog_js_start_up_calls_get_an_empty_configuration_and_no_flags()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();

        var config = await SendAsync(server, new HttpRequestMessage(HttpMethod.Get, $"/array/{key}/config"));
        Assert.Equal(HttpStatusCode.OK, config.Status);
        Assert.Equal(key, config.Json.GetProperty("token").GetString());
        Assert.Equal(["gzip-js", "base64"], config.Json.GetProperty("supportedCompression").EnumerateArray().Select(e => e.GetString()));
        Assert.False(config.Json.GetProperty("hasFeatureFlags").GetBoolean());

        using var script = await server.Client.GetAsync($"/array/{key}/config.js");
        Assert.Equal("application/javascript", script.Content.Headers.ContentType!.MediaType);
        Assert.Contains("_POSTHOG_REMOTE_CONFIG", await script.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var unknown = await SendAsync(server, new HttpRequestMessage(HttpMethod.Get, "/array/phc_nope/config"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("token", unknown.Json.GetProperty("field").GetString());

        var flags = await SendAsync(server, Json(HttpMethod.Post, "/flags/?v=2", $$"""{"token":"{{key}}","distinct_id":"d"}"""));
        Assert.Equal(HttpStatusCode.OK, flags.Status);
        Assert.Empty(flags.Json.GetProperty("featureFlags").EnumerateObject());
        Assert.Empty(flags.Json.GetProperty("flags").EnumerateObject());
        Assert.False(flags.Json.GetProperty("errorsWhileComputingFlags").GetBoolean());
    }

    [Fact]
    public async Task Analytics_js_settings_point_it_at_this_server()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();

        var settings = await SendAsync(server, new HttpRequestMessage(HttpMethod.Get, $"/v1/projects/{key}/settings"));
        Assert.Equal(HttpStatusCode.OK, settings.Status);
        var segment = settings.Json.GetProperty("integrations").GetProperty("Segment.io");
        Assert.Equal(key, segment.GetProperty("apiKey").GetString());
        Assert.Equal($"{server.Client.BaseAddress!.Authority}/v1", segment.GetProperty("apiHost").GetString());
        Assert.Equal("http", segment.GetProperty("protocol").GetString());

        var unknown = await SendAsync(server, new HttpRequestMessage(HttpMethod.Get, "/v1/projects/wk_nope/settings"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("writeKey", unknown.Json.GetProperty("field").GetString());
    }

    public static TheoryData<string, string, string, HttpStatusCode, string> MalformedBodies => new()
    {
        { "/api/event", "text/plain", """{"n":"pageview","u":"https://shop.example/""", HttpStatusCode.BadRequest, "" },
        { "/api/event", "text/plain", """{"n":"pageview","u":"https://shop.example/"}""", HttpStatusCode.BadRequest, "domain" },
        { "/api/event", "text/plain", """{"n":"e","u":"https://shop.example/","d":"shop.example","p":{"a":[1]}}""", HttpStatusCode.BadRequest, "p.a" },
        { "/api/event", "text/plain", """{"n":"e","u":"https://shop.example/","d":"shop.example","$":{"amount":1,"currency":"euro"}}""", HttpStatusCode.BadRequest, "$.currency" },
        { "/api/event", "application/xml", "<e/>", HttpStatusCode.UnsupportedMediaType, "Content-Type" },
        { "/e/", "application/json", """{"api_key":"KEY","event":"e","distinct_id":"d","properties":"x"}""", HttpStatusCode.BadRequest, "properties" },
        { "/batch/", "application/json", """{"api_key":"KEY","batch":[{"distinct_id":"d"}]}""", HttpStatusCode.BadRequest, "batch[0].event" },
        { "/capture/", "application/json", """{"api_key":"KEY","event":"$groupidentify","distinct_id":"d"}""", HttpStatusCode.BadRequest, "properties.$group_key" },
        { "/i/v0/e/?compression=base64", "text/plain", "eyJ!!!", HttpStatusCode.BadRequest, "body" },
        { "/e/?compression=lz64", "text/plain", "{}", HttpStatusCode.UnsupportedMediaType, "compression" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task A_malformed_compat_body_gets_a_json_4xx_naming_the_field(string path, string contentType, string body, HttpStatusCode status, string field)
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body.Replace("KEY", key, StringComparison.Ordinal)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);

        var result = await SendAsync(server, request);
        Assert.Equal(status, result.Status);
        Assert.False(result.Json.GetProperty("success").GetBoolean());
        if (field.Length > 0)
        {
            Assert.Equal(field, result.Json.GetProperty("field").GetString());
        }
        else
        {
            Assert.Equal("invalid_json", result.Json.GetProperty("code").GetString());
        }

        Assert.Empty(server.LogRecords());
    }

    private static HttpRequestMessage Text(HttpMethod method, string path, string body) =>
        new(method, path) { Content = new StringContent(body, Encoding.UTF8, "text/plain") };

    private static HttpRequestMessage Json(HttpMethod method, string path, string body) =>
        new(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }

    private static async Task<(HttpStatusCode Status, JsonElement Json)> SendAsync(RunningServer server, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await server.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
        }
    }
}
