using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Weir.Server.Tests;

/// <summary>
/// The malformed corpus over real HTTP: every request gets its 4xx, the server never answers 5xx, stores nothing,
/// and its memory does not grow however many bad requests it sees. The memory check measures the whole process, so
/// these tests run alone, after the others.
/// </summary>
[Collection(MemoryMeasurementCollection.Name)]
public sealed class MalformedRequestTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    private const string PartlyValidBatch = "batch-item-missing-id.json";

    private sealed record BadRequest(string Name, HttpMethod Method, string Path, byte[]? Body, string? ContentType, string? Encoding,
        Action<HttpRequestHeaders>? Headers, HttpStatusCode Expected);

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static IEnumerable<BadRequest> Corpus(string writeKey)
    {
        var auth = (Action<HttpRequestHeaders>)(h => h.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":"))));
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Malformed")).Order(StringComparer.Ordinal))
        {
            var body = File.ReadAllBytes(file);
            var name = System.IO.Path.GetFileName(file);
            yield return new(name + " as track", HttpMethod.Post, "/v1/track", body, "application/json", null, auth, HttpStatusCode.BadRequest);
            // That batch's second item is valid: a batch keeps its valid events, so it is the one 200 of the corpus.
            var asBatch = name == PartlyValidBatch ? HttpStatusCode.OK : HttpStatusCode.BadRequest;
            yield return new(name + " as batch", HttpMethod.Post, "/v1/batch", body, "application/json", null, auth, asBatch);
        }

        var deep = Encoding.UTF8.GetBytes("{\"type\":\"track\",\"event\":\"e\",\"userId\":\"u\",\"properties\":" + new string('[', 2000) + new string(']', 2000) + "}");
        var big = Encoding.UTF8.GetBytes("{\"type\":\"track\",\"event\":\"e\",\"userId\":\"u\",\"properties\":{\"x\":\"" + new string('a', 40 * 1024) + "\"}}");
        var ok = Encoding.UTF8.GetBytes("{\"type\":\"track\",\"event\":\"e\",\"userId\":\"u\"}");
        yield return new("deep nesting", HttpMethod.Post, "/v1/track", deep, "application/json", null, auth, HttpStatusCode.BadRequest);
        yield return new("oversize event", HttpMethod.Post, "/v1/track", big, "application/json", null, auth, HttpStatusCode.RequestEntityTooLarge);
        yield return new("gzip bomb", HttpMethod.Post, "/v1/batch", Gzip(new byte[20 * 1024 * 1024]), "application/json", "gzip", auth, HttpStatusCode.RequestEntityTooLarge);
        yield return new("corrupt gzip", HttpMethod.Post, "/v1/track", [0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7], "application/json", "gzip", auth, HttpStatusCode.BadRequest);
        yield return new("unknown encoding", HttpMethod.Post, "/v1/track", ok, "application/json", "zstd", auth, HttpStatusCode.UnsupportedMediaType);
        yield return new("wrong content type", HttpMethod.Post, "/v1/track", ok, "application/x-www-form-urlencoded", null, auth, HttpStatusCode.UnsupportedMediaType);
        yield return new("no write key", HttpMethod.Post, "/v1/track", ok, "application/json", null, null, HttpStatusCode.Unauthorized);
        yield return new("garbled basic auth", HttpMethod.Post, "/v1/track", ok, "application/json", null,
            h => h.TryAddWithoutValidation("Authorization", "Basic ***not base64***"), HttpStatusCode.Unauthorized);
        yield return new("huge header", HttpMethod.Post, "/v1/track", ok, "application/json", null,
            h => { auth(h); h.TryAddWithoutValidation("X-Padding", new string('p', 64 * 1024)); }, HttpStatusCode.RequestHeaderFieldsTooLarge);
        yield return new("wrong method", HttpMethod.Get, "/v1/track", null, null, null, auth, HttpStatusCode.MethodNotAllowed);
        yield return new("unknown call", HttpMethod.Post, "/v1/purchase", ok, "application/json", null, auth, HttpStatusCode.NotFound);

        // The compatibility endpoints (their field-by-field answers are in CompatEndpointTests).
        var plausibleBad = Encoding.UTF8.GetBytes("{\"n\":\"pageview\",\"u\":\"https://shop.example/\",\"d\":\"shop.example\",\"p\":[1]}");
        var posthogBad = Encoding.UTF8.GetBytes("{\"api_key\":\"" + writeKey + "\",\"batch\":[{\"event\":\"e\"}]}");
        yield return new("plausible props not an object", HttpMethod.Post, "/api/event", plausibleBad, "text/plain", null, null, HttpStatusCode.BadRequest);
        yield return new("plausible unknown domain", HttpMethod.Post, "/api/event", Encoding.UTF8.GetBytes("{\"n\":\"e\",\"u\":\"https://x.example/\",\"d\":\"x.example\"}"), "text/plain", null, null, HttpStatusCode.BadRequest);
        yield return new("posthog event without distinct_id", HttpMethod.Post, "/batch/", posthogBad, "application/json", null, null, HttpStatusCode.BadRequest);
        yield return new("posthog corrupt gzip-js", HttpMethod.Post, "/e/?compression=gzip-js", [0x1f, 0x8b, 8, 0, 1, 2, 3], "text/plain", null, null, HttpStatusCode.BadRequest);
        yield return new("posthog gzip bomb", HttpMethod.Post, "/e/", Gzip(new byte[20 * 1024 * 1024]), "text/plain", null, null, HttpStatusCode.RequestEntityTooLarge);
        yield return new("posthog unknown key", HttpMethod.Post, "/capture/", Encoding.UTF8.GetBytes("{\"api_key\":\"nope\",\"event\":\"e\",\"distinct_id\":\"d\"}"), "application/json", null, null, HttpStatusCode.Unauthorized);
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, BadRequest bad)
    {
        using var request = new HttpRequestMessage(bad.Method, bad.Path);
        if (bad.Body is not null)
        {
            request.Content = new ByteArrayContent(bad.Body);
            if (bad.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", bad.ContentType);
            }

            if (bad.Encoding is not null)
            {
                request.Content.Headers.ContentEncoding.Add(bad.Encoding);
            }
        }

        bad.Headers?.Invoke(request.Headers);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Every_malformed_request_gets_its_4xx_and_nothing_is_stored()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        var corpus = Corpus(key).ToList();
        Assert.True(corpus.Count > 40, $"the corpus has only {corpus.Count} cases");
        var wrong = new List<string>();
        foreach (var bad in corpus)
        {
            var status = await SendAsync(server.Client, bad);
            if (status != bad.Expected)
            {
                wrong.Add($"{bad.Name}: {(int)status}, expected {(int)bad.Expected}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join("; ", wrong));
        var stored = Assert.Single(server.LogRecords());
        Assert.Equal("u", stored.GetProperty("user_id").GetString());
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Bad_requests_never_get_5xx_and_memory_stays_bounded()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        var corpus = Corpus(key).ToList();

        async Task RoundAsync()
        {
            foreach (var bad in corpus)
            {
                var status = (int)await SendAsync(server.Client, bad);
                Assert.True(status < 500 && (status >= 400 || bad.Expected == HttpStatusCode.OK), $"{bad.Name}: {status}");
            }
        }

        for (var i = 0; i < 3; i++)
        {
            await RoundAsync();
        }

        var managed = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < 20; i++)
        {
            await RoundAsync();
        }

        // 20 rounds pass more than 400 MB of bodies (gzip bombs included) through the server.
        var growth = GC.GetTotalMemory(forceFullCollection: true) - managed;
        Assert.True(growth < 16 * 1024 * 1024, $"the managed heap grew by {growth / 1024} KiB over {20 * corpus.Count} bad requests");
    }
}
