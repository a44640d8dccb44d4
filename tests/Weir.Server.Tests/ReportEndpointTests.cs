using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Weir.Server.Tests;

/// <summary>
/// The report endpoints over real HTTP: two sites with a few known visits sent through the Segment API, a read token
/// for the first. The numbers themselves are checked against a reference in Weir.Query.Tests; here, that each
/// endpoint answers them, refuses what it must, and says why.
/// </summary>
public sealed class ReportEndpointTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private RunningServer _server = null!;
    private string _siteA = "";
    private string _siteB = "";
    private string _tokenA = "";

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(_data.Path);
        (_siteA, var keyA) = await CreateSiteAsync("a.example");
        (_siteB, var keyB) = await CreateSiteAsync("b.example");
        // Site A: three visitors on 2026-03-10 (UTC). v1: / → /pricing → Signup; v2: / → /pricing; v3: / only.
        // v1 comes back a week later.
        await BatchAsync(keyA,
            Page("a1", "v1", "2026-03-10T10:00:00Z", "/"), Page("a2", "v1", "2026-03-10T10:01:00Z", "/pricing"), Track("a3", "v1", "2026-03-10T10:03:00Z", "Signup"),
            Page("a4", "v2", "2026-03-10T11:00:00Z", "/"), Page("a5", "v2", "2026-03-10T11:05:00Z", "/pricing"),
            Page("a6", "v3", "2026-03-10T12:00:00Z", "/"),
            Page("a7", "v1", "2026-03-17T09:00:00Z", "/docs"));
        await BatchAsync(keyB, Page("b1", "w1", "2026-03-10T10:00:00Z", "/"));
        await _server.Server.Lake.WhenLoadedAsync(_server.Server.EventLog.CommittedPosition);

        using var admin = _server.AdminClient();
        var response = await admin.PostAsJsonAsync("/api/v1/tokens", new { sites = new[] { _siteA }, scope = "read" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        _tokenA = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task Stats_answer_the_aggregate_for_the_tokens_site()
    {
        var (status, body) = await PostAsync("/api/v1/stats", _tokenA,
            $$"""{"site_id":"{{_siteA}}","metrics":["visitors","visits","pageviews","bounce_rate"],"date_range":["2026-03-01","2026-03-31"]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var metrics = body.GetProperty("results")[0].GetProperty("metrics");
        Assert.Equal([3, 4, 6, 50], metrics.EnumerateArray().Select(m => m.GetInt64()));
    }

    [Fact]
    public async Task Funnels_answer_per_step_counts()
    {
        var (status, body) = await PostAsync("/api/v1/funnels", _tokenA,
            $$"""{"site_id":"{{_siteA}}","date_range":["2026-03-01","2026-03-31"],"steps":[{"page":"/"},{"page":"/pricing"},{"event":"Signup"}],"window":"1h"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var steps = body.GetProperty("steps");
        Assert.Equal([3, 2, 1], steps.EnumerateArray().Select(s => s.GetProperty("visitors").GetInt64()));
        Assert.Equal(180, steps[1].GetProperty("median_seconds_from_previous").GetDouble());
        Assert.Equal(120, steps[2].GetProperty("median_seconds_from_previous").GetDouble());
        Assert.Equal(33.33, steps[2].GetProperty("conversion_rate").GetDouble());
        Assert.Equal(1, steps[2].GetProperty("dropoff").GetInt64());
    }

    [Fact]
    public async Task Retention_answers_the_matrix()
    {
        var (status, body) = await PostAsync("/api/v1/retention", _tokenA,
            $$"""{"site_id":"{{_siteA}}","date_range":["2026-03-09","2026-03-15"],"period":"week","periods":3}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var cohort = Assert.Single(body.GetProperty("cohorts").EnumerateArray());
        Assert.Equal("2026-03-09", cohort.GetProperty("cohort").GetString());
        Assert.Equal(3, cohort.GetProperty("visitors").GetInt64());
        var retention = cohort.GetProperty("retention");
        Assert.Equal(1, retention[1].GetProperty("visitors").GetInt64());
        Assert.Equal(33.33, retention[1].GetProperty("rate").GetDouble());
        Assert.Equal(0, retention[2].GetProperty("visitors").GetInt64());
    }

    [Theory]
    [InlineData("/api/v1/stats")]
    [InlineData("/api/v1/funnels")]
    [InlineData("/api/v1/retention")]
    public async Task Access_is_checked_before_anything_else(string path)
    {
        var body = $$"""{"site_id":"{{_siteB}}","date_range":"all"}""";
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(path, null, body)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(path, "wrt_not-a-token", body)).Status);
        var (forbidden, error) = await PostAsync(path, _tokenA, body);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden);
        Assert.Contains(_siteB, error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(path, _server.Server.AdminToken.Value, """{"site_id":"no-such-site","date_range":"all"}""")).Status);
        // A read token opens no admin endpoint.
        using var client = Client(_tokenA);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/sites")).StatusCode);
    }

    [Theory]
    [InlineData("/api/v1/stats", """{"metrics":["visitors"],"date_range":"someday"}""", "date_range")]
    [InlineData("/api/v1/stats", """{"metrics":["visitors"],"date_range":"all","filters":[["matches","event:page",["("]]]}""", null)]
    [InlineData("/api/v1/funnels", """{"date_range":"all","steps":[{"page":"/"}]}""", "steps")]
    [InlineData("/api/v1/retention", """{"date_range":"30d","period":"year"}""", "period")]
    public async Task A_bad_request_answers_400_with_the_field(string path, string json, string? field)
    {
        var body = json.Insert(1, $"\"site_id\":\"{_siteA}\",");
        var (status, error) = await PostAsync(path, _tokenA, body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetString()));
        if (field is null)
        {
            Assert.False(error.TryGetProperty("field", out _));
        }
        else
        {
            Assert.Equal(field, error.GetProperty("field").GetString());
        }
    }

    [Fact]
    public async Task A_body_that_is_not_json_or_too_large_is_refused()
    {
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync("/api/v1/stats", _tokenA, "{not json")).Status);
        var (missing, error) = await PostAsync("/api/v1/funnels", _tokenA, """{"date_range":"all"}""");
        Assert.Equal(HttpStatusCode.BadRequest, missing);
        Assert.Equal("site_id", error.GetProperty("field").GetString());
        var large = "{\"site_id\":\"" + _siteA + "\",\"pad\":\"" + new string('x', 70_000) + "\"}";
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PostAsync("/api/v1/stats", _tokenA, large)).Status);

        // Without a Content-Length the limit holds all the same: the read stops at it.
        using var client = Client(_tokenA);
        var chunked = await client.PostAsync("/api/v1/stats", new ChunkedJsonContent(large));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.StatusCode);
        Assert.Contains("larger than", await chunked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var small = await client.PostAsync("/api/v1/stats", new ChunkedJsonContent("{\"site_id\":\"" + _siteA + "\",\"metrics\":[\"visitors\"],\"date_range\":\"all\"}"));
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, string? token, string json)
    {
        using var client = Client(token);
        var response = await client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private HttpClient Client(string? token)
    {
        var client = new HttpClient { BaseAddress = _server.Client.BaseAddress };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    private static JsonObject Page(string messageId, string visitor, string timestamp, string path) => new()
    {
        ["type"] = "page",
        ["messageId"] = messageId,
        ["anonymousId"] = visitor,
        ["timestamp"] = timestamp,
        ["properties"] = new JsonObject { ["path"] = path },
    };

    private static JsonObject Track(string messageId, string visitor, string timestamp, string name) => new()
    {
        ["type"] = "track",
        ["messageId"] = messageId,
        ["anonymousId"] = visitor,
        ["timestamp"] = timestamp,
        ["event"] = name,
    };

    private async Task BatchAsync(string writeKey, params JsonObject[] events)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/batch")
        {
            Content = new StringContent(new JsonObject { ["batch"] = new JsonArray(events) }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
        var response = await _server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<(string Id, string WriteKey)> CreateSiteAsync(string domain)
    {
        using var admin = _server.AdminClient();
        var response = await admin.PostAsJsonAsync("/api/v1/sites", new { domain, timezone = "UTC" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var site = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return (site.GetProperty("id").GetString()!, site.GetProperty("writeKey").GetString()!);
    }
}
