using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Weir.Server.Tests;

/// <summary>
/// The lake behind a real server: ingested events reach the <c>events</c> view, and the admin endpoints for the
/// schema, the lake's status, flush, compaction, erasure and retention answer over HTTP.
/// </summary>
public sealed class LakeEndpointTests : IDisposable
{
    private static readonly DateOnly Day = new(2026, 3, 14);

    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    private static DateTimeOffset At(DateOnly day, int hour, int minute = 0, int second = 0) =>
        new(day.ToDateTime(new TimeOnly(hour, minute, second), DateTimeKind.Utc));

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    // No sentAt: the client's timestamp is then the event time as sent, so the test decides each event's day.
    private static JsonObject Track(string messageId, string eventName, DateTimeOffset timestamp, string? userId = "u-1", JsonObject? properties = null) => new()
    {
        ["type"] = "track",
        ["messageId"] = messageId,
        ["event"] = eventName,
        ["userId"] = userId,
        ["timestamp"] = Iso(timestamp),
        ["properties"] = properties ?? new JsonObject(),
    };

    private static async Task SendAsync(RunningServer server, string writeKey, string call, JsonNode body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, call) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
        var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await Json(response)).GetProperty("success").GetBoolean());
    }

    private static Task BatchAsync(RunningServer server, string writeKey, params JsonObject[] events) =>
        SendAsync(server, writeKey, "/v1/batch", new JsonObject { ["batch"] = new JsonArray(events) });

    /// <summary>Completes when every committed record is loaded and visible to queries.</summary>
    private static Task LoadedAsync(RunningServer server) => server.Server.Lake.WhenLoadedAsync(server.Server.EventLog.CommittedPosition);

    private static async Task<(string Id, string WriteKey)> CreateSiteAsync(RunningServer server, string domain = "shop.example", int? retentionDays = null)
    {
        using var admin = server.AdminClient();
        var response = await admin.PostAsJsonAsync("/api/v1/sites", new { domain, retentionDays });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var site = await Json(response);
        return (site.GetProperty("id").GetString()!, site.GetProperty("writeKey").GetString()!);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/json");

    private static List<object?[]> Query(RunningServer server, string sql)
    {
        using var connection = server.Server.Lake.Connect();
        using var result = connection.Query(sql);
        var rows = new List<object?[]>();
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                for (var row = 0; row < chunk.RowCount; row++)
                {
                    var values = new object?[chunk.ColumnCount];
                    for (var column = 0; column < values.Length; column++)
                    {
                        values[column] = chunk.GetVector(column).GetValue(row);
                    }

                    rows.Add(values);
                }
            }
        }

        return rows;
    }

    private static long Count(RunningServer server, string sql)
    {
        using var connection = server.Server.Lake.Connect();
        return (long)connection.ExecuteScalar(sql)!;
    }

    /// <summary>A file's bytes, decompressed when it is gzip'd.</summary>
    private static byte[] Contents(string path)
    {
        using var file = File.OpenRead(path);
        using var contents = new MemoryStream();
        if (path.EndsWith(".gz", StringComparison.Ordinal))
        {
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            gzip.CopyTo(contents);
        }
        else
        {
            file.CopyTo(contents);
        }

        return contents.ToArray();
    }

    private static string PartitionDirectory(RunningServer server, string siteId, DateOnly day) =>
        Path.Combine(server.DataDirectory, "lake", "events", "site_id=" + siteId, "event_date=" + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

    [Fact]
    public async Task Tracked_and_batched_events_become_queryable_with_their_canonical_fields()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var (siteId, key) = await CreateSiteAsync(server);
        await SendAsync(server, key, "/v1/track", Track("m-1", "Signup", At(Day, 10), properties: new JsonObject { ["plan"] = "pro" }));
        await BatchAsync(server, key,
            Track("m-2", "Order Completed", At(Day.AddDays(1), 23, 59, 59), userId: "u-2"),
            new JsonObject { ["type"] = "page", ["messageId"] = "m-3", ["anonymousId"] = "a-1", ["name"] = "Pricing", ["timestamp"] = Iso(At(Day.AddDays(2), 0, 0, 1)) },
            new JsonObject { ["type"] = "identify", ["messageId"] = "m-4", ["userId"] = "u-1", ["traits"] = new JsonObject { ["plan"] = "pro" }, ["timestamp"] = Iso(At(Day, 11)) });

        await LoadedAsync(server);
        Assert.Equal(4, Count(server, "SELECT count(*) FROM events"));
        var rows = Query(server,
            "SELECT message_id, type, event, user_id, anonymous_id, site_id, event_date, \"timestamp\", properties->>'plan' FROM events ORDER BY message_id");
        Assert.Equal(["m-1", "m-2", "m-3", "m-4"], rows.Select(r => (string)r[0]!));
        Assert.Equal(["track", "track", "page", "identify"], rows.Select(r => (string)r[1]!));
        Assert.Equal(["Signup", "Order Completed", "pageview", "identify"], rows.Select(r => (string)r[2]!));
        Assert.Equal(["u-1", "u-2", null, "u-1"], rows.Select(r => (string?)r[3]));
        Assert.Equal([null, null, "a-1", null], rows.Select(r => (string?)r[4]));
        Assert.All(rows, r => Assert.Equal(siteId, r[5]));
        // The partition day is the UTC day of the event time, up to the last second before midnight.
        Assert.Equal([Day, Day.AddDays(1), Day.AddDays(2), Day], rows.Select(r => (DateOnly)r[6]!));
        Assert.Equal([At(Day, 10), At(Day.AddDays(1), 23, 59, 59), At(Day.AddDays(2), 0, 0, 1), At(Day, 11)], rows.Select(r => (DateTimeOffset)r[7]!));
        Assert.Equal("pro", rows[0][8]);
        Assert.Equal(4, server.Server.Lake.Counters.Loaded);
    }

    [Fact]
    public async Task A_flush_writes_one_file_per_site_and_day_and_the_lake_status_reports_them()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var (siteId, key) = await CreateSiteAsync(server);
        await BatchAsync(server, key,
            Track("m-1", "Signup", At(Day, 9)), Track("m-2", "Signup", At(Day, 10)), Track("m-3", "Signup", At(Day, 11)),
            Track("m-4", "Login", At(Day.AddDays(1), 9)), Track("m-5", "Login", At(Day.AddDays(1), 10)));
        await LoadedAsync(server);
        using var admin = server.AdminClient();

        var response = await admin.PostAsync("/api/v1/maintenance/flush", content: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var flush = await Json(response);
        Assert.Equal(5, flush.GetProperty("rowsWritten").GetInt64());
        Assert.Equal(server.Server.EventLog.CommittedPosition, flush.GetProperty("watermark").GetInt64());
        Assert.Equal(2, flush.GetProperty("files").GetInt32());

        var first = Assert.Single(Directory.GetFiles(PartitionDirectory(server, siteId, Day), "*.parquet"));
        var second = Assert.Single(Directory.GetFiles(PartitionDirectory(server, siteId, Day.AddDays(1)), "*.parquet"));
        Assert.Equal(5, Count(server, "SELECT count(*) FROM events"));
        Assert.Equal(3, Count(server, $"SELECT count(*) FROM events WHERE event_date = DATE '{Day:yyyy-MM-dd}'"));
        Assert.Equal(0, server.Server.Lake.HotRows);

        var lake = await Json(await admin.GetAsync("/api/v1/lake"));
        Assert.Equal(2, lake.GetProperty("files").GetInt32());
        Assert.Equal(2, lake.GetProperty("partitions").GetInt32());
        Assert.Equal(5, lake.GetProperty("fileRows").GetInt64());
        Assert.Equal(new FileInfo(first).Length + new FileInfo(second).Length, lake.GetProperty("fileBytes").GetInt64());
        Assert.Equal(0, lake.GetProperty("hotRows").GetInt64());
        Assert.Equal(server.Server.EventLog.CommittedPosition, lake.GetProperty("watermark").GetInt64());
        Assert.Equal(server.Server.EventLog.CommittedPosition, lake.GetProperty("loadedPosition").GetInt64());
        Assert.Equal(5, lake.GetProperty("loaded").GetInt64());
        Assert.Equal(0, lake.GetProperty("duplicates").GetInt64());
        Assert.Equal(1, lake.GetProperty("flushes").GetInt64());
        Assert.Equal(0, lake.GetProperty("pendingDeletes").GetInt32());
        Assert.True(lake.GetProperty("generation").GetInt64() >= 1);

        // Nothing hot: a second flush writes nothing and changes nothing.
        var again = await Json(await admin.PostAsync("/api/v1/maintenance/flush", content: null));
        Assert.Equal(0, again.GetProperty("rowsWritten").GetInt64());
        Assert.Equal(2, again.GetProperty("files").GetInt32());
        Assert.Equal(5, Count(server, "SELECT count(*) FROM events"));
    }

    [Fact]
    public async Task The_schema_lists_each_sites_event_names_and_property_keys_with_types_and_counts()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var (shop, shopKey) = await CreateSiteAsync(server, "shop.example");
        var (blog, blogKey) = await CreateSiteAsync(server, "blog.example");
        using var admin = server.AdminClient();

        // Nothing flushed yet: the schema is counted into the catalog with the files.
        var empty = await Json(await admin.GetAsync("/api/v1/schema"));
        Assert.Empty(empty.GetProperty("sites").EnumerateObject());

        await BatchAsync(server, shopKey,
            Track("m-1", "Signup", At(Day, 9), properties: new JsonObject { ["plan"] = "pro", ["seats"] = 3 }),
            Track("m-2", "Signup", At(Day, 10), properties: new JsonObject { ["plan"] = "team", ["seats"] = 12 }),
            Track("m-3", "Signup", At(Day.AddDays(1), 8), properties: new JsonObject { ["plan"] = 5 }),
            Track("m-4", "Order Completed", At(Day, 12), properties: new JsonObject
            {
                ["total"] = 9.5,
                ["items"] = new JsonArray(1, 2),
                ["shipping"] = new JsonObject { ["method"] = "post" },
                ["coupon"] = null,
                ["gift"] = true,
            }));
        await BatchAsync(server, blogKey, Track("m-5", "Comment", At(Day, 9), properties: new JsonObject { ["length"] = 120 }));
        await LoadedAsync(server);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/v1/maintenance/flush", content: null)).StatusCode);

        var response = await admin.GetAsync("/api/v1/schema");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sites = (await Json(response)).GetProperty("sites");
        Assert.Equal(new[] { blog, shop }.Order(StringComparer.Ordinal), sites.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

        var schema = sites.GetProperty(shop);
        var events = schema.GetProperty("events");
        Assert.Equal(["Order Completed", "Signup"], events.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var signup = events.GetProperty("Signup");
        Assert.Equal(3, signup.GetProperty("count").GetInt64());
        Assert.Equal(At(Day, 9), signup.GetProperty("firstSeen").GetDateTimeOffset());
        Assert.Equal(At(Day.AddDays(1), 8), signup.GetProperty("lastSeen").GetDateTimeOffset());
        Assert.Equal(1, events.GetProperty("Order Completed").GetProperty("count").GetInt64());

        var properties = schema.GetProperty("properties");
        Assert.Equal(["coupon", "gift", "items", "plan", "seats", "shipping", "total"], properties.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var plan = properties.GetProperty("plan");
        Assert.Equal(3, plan.GetProperty("count").GetInt64());
        Assert.Equal(At(Day, 9), plan.GetProperty("firstSeen").GetDateTimeOffset());
        Assert.Equal(At(Day.AddDays(1), 8), plan.GetProperty("lastSeen").GetDateTimeOffset());
        // A key sent with two types is reported with both, counted, so the conflict shows.
        Assert.Equal(2, plan.GetProperty("types").GetProperty("string").GetInt64());
        Assert.Equal(1, plan.GetProperty("types").GetProperty("number").GetInt64());
        Assert.False(plan.TryGetProperty("hasTypeConflict", out _));
        string TypeOf(string name) => Assert.Single(properties.GetProperty(name).GetProperty("types").EnumerateObject()).Name;
        Assert.Equal(["number", "array", "object", "null", "boolean", "number"], new[] { "seats", "items", "shipping", "coupon", "gift", "total" }.Select(TypeOf));
        Assert.Equal(0, schema.GetProperty("overflowEvents").GetInt64());
        Assert.Equal(0, schema.GetProperty("overflowKeys").GetInt64());

        var one = await admin.GetAsync($"/api/v1/schema?site_id={blog}");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        var only = Assert.Single((await Json(one)).GetProperty("sites").EnumerateObject());
        Assert.Equal(blog, only.Name);
        Assert.Equal(1, only.Value.GetProperty("events").GetProperty("Comment").GetProperty("count").GetInt64());
        Assert.Equal("number", Assert.Single(only.Value.GetProperty("properties").GetProperty("length").GetProperty("types").EnumerateObject()).Name);
    }

    [Fact]
    public async Task The_schema_of_a_site_the_lake_does_not_know_is_404()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        using var admin = server.AdminClient();
        var response = await admin.GetAsync("/api/v1/schema?site_id=nosuchsite");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = await Json(response);
        Assert.Contains("'nosuchsite'", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("site_id", error.GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_known_site_with_nothing_flushed_has_an_empty_schema_and_an_erasure_for_an_unknown_site_is_404()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var (siteId, _) = await CreateSiteAsync(server);
        using var admin = server.AdminClient();

        var schema = await admin.GetAsync($"/api/v1/schema?site_id={siteId}");
        Assert.Equal(HttpStatusCode.OK, schema.StatusCode);
        Assert.Empty((await Json(schema)).GetProperty("sites").GetProperty(siteId).GetProperty("events").EnumerateObject());

        var erasure = await admin.PostAsync("/api/v1/erasure", JsonBody("{\"siteId\":\"nosuchsite\",\"userId\":\"u-1\"}"));
        Assert.Equal(HttpStatusCode.NotFound, erasure.StatusCode);
        Assert.Equal("siteId", (await Json(erasure)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Compaction_merges_a_days_files_into_one_and_answers_counts()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var (siteId, key) = await CreateSiteAsync(server);
        using var admin = server.AdminClient();
        for (var round = 0; round < 3; round++)
        {
            await BatchAsync(server, key, Track($"m-{round}-a", "Signup", At(Day, 10 + round)), Track($"m-{round}-b", "Signup", At(Day, 9 - round)));
            await LoadedAsync(server);
            var flush = await Json(await admin.PostAsync("/api/v1/maintenance/flush", content: null));
            Assert.Equal(2, flush.GetProperty("rowsWritten").GetInt64());
            Assert.Equal(round + 1, flush.GetProperty("files").GetInt32());
        }

        Assert.Equal(3, Directory.GetFiles(PartitionDirectory(server, siteId, Day), "*.parquet").Length);

        var response = await admin.PostAsync("/api/v1/maintenance/compact", content: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var summary = await Json(response);
        Assert.Equal(1, summary.GetProperty("partitions").GetInt32());
        Assert.Equal(3, summary.GetProperty("filesIn").GetInt32());
        Assert.Equal(1, summary.GetProperty("filesOut").GetInt32());
        Assert.Equal(0, summary.GetProperty("duplicatesDropped").GetInt64());
        Assert.Equal(0, summary.GetProperty("skipped").GetInt32());
        Assert.True(summary.GetProperty("elapsedMs").GetInt64() >= 0);

        var merged = Assert.Single(server.Server.Lake.Catalog.FilesOf(siteId, Day));
        Assert.Equal(6, merged.Rows);
        Assert.Contains("-c", Path.GetFileName(merged.Path), StringComparison.Ordinal);
        Assert.Equal(6, Count(server, "SELECT count(*) FROM events"));
        Assert.Equal(6, Count(server, "SELECT count(DISTINCT message_id) FROM events"));
        var lake = await Json(await admin.GetAsync("/api/v1/lake"));
        Assert.Equal(1, lake.GetProperty("files").GetInt32());
        Assert.Equal(6, lake.GetProperty("fileRows").GetInt64());
        // The replaced files wait out the grace period, for queries still reading them.
        Assert.Equal(3, lake.GetProperty("pendingDeletes").GetInt32());

        var nothing = await Json(await admin.PostAsync("/api/v1/maintenance/compact", content: null));
        Assert.Equal(0, nothing.GetProperty("partitions").GetInt32());
        Assert.Equal(0, nothing.GetProperty("filesIn").GetInt32());
        Assert.Equal(0, nothing.GetProperty("filesOut").GetInt32());
    }

    [Theory]
    [InlineData("{}", "exactly one of userId and anonymousId", null)]
    [InlineData("{\"siteId\":\"abc\"}", "exactly one of userId and anonymousId", null)]
    [InlineData("{\"userId\":\"u-1\",\"anonymousId\":\"a-1\"}", "exactly one of userId and anonymousId", null)]
    [InlineData("null", "exactly one of userId and anonymousId", null)]
    [InlineData("{\"userId\":\"u-1\",\"email\":\"x@example.com\"}", "not a valid erasure request", "email")]
    [InlineData("{\"userId\":42}", "not a valid erasure request", "userId")]
    [InlineData("userId=u-1", "not a valid erasure request", null)]
    [InlineData("", "not a valid erasure request", null)]
    [InlineData("{\"siteId\":\"a/b\",\"userId\":\"u-1\"}", "'a/b' is not a site id", "siteId")]
    [InlineData("{\"siteId\":\"\",\"userId\":\"u-1\"}", "is not a site id", "siteId")]
    [InlineData("{\"userId\":\"\"}", "userId must have 1 to 1024 characters", "userId")]
    public async Task A_bad_erasure_request_is_refused_with_a_clear_message(string body, string message, string? field)
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        using var admin = server.AdminClient();
        var response = await admin.PostAsync("/api/v1/erasure", JsonBody(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await Json(response);
        Assert.Contains(message, error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(field, error.TryGetProperty("field", out var named) ? named.GetString() : null);
        Assert.False(Directory.Exists(Path.Combine(server.DataDirectory, "lake", "erasure")), "no erasure job may be recorded");
    }

    [Fact]
    public async Task An_erasure_removes_the_persons_events_from_the_lake_and_the_log()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var (siteId, key) = await CreateSiteAsync(server);
        using var admin = server.AdminClient();
        await BatchAsync(server, key,
            Track("m-1", "Signup", At(Day, 9), userId: "u-gone"), Track("m-2", "Login", At(Day.AddDays(1), 9), userId: "u-gone"),
            Track("m-3", "Signup", At(Day, 10), userId: "u-stay"));
        await LoadedAsync(server);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/v1/maintenance/flush", content: null)).StatusCode);
        // One of the person's events is still hot when the erasure runs.
        await BatchAsync(server, key, Track("m-4", "Logout", At(Day, 11), userId: "u-gone"), Track("m-5", "Login", At(Day, 12), userId: "u-stay"));
        await LoadedAsync(server);
        Assert.Equal(3, Count(server, "SELECT count(*) FROM events WHERE user_id = 'u-gone'"));

        var response = await admin.PostAsync("/api/v1/erasure", JsonBody($"{{\"siteId\":\"{siteId}\",\"userId\":\"u-gone\"}}"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await Json(response);
        var id = accepted.GetProperty("id").GetString()!;
        Assert.StartsWith("er_", id, StringComparison.Ordinal);
        Assert.Equal("pending", accepted.GetProperty("status").GetString());
        Assert.Equal(siteId, accepted.GetProperty("siteId").GetString());
        Assert.Equal("userId", accepted.GetProperty("field").GetString());
        Assert.DoesNotContain("u-gone", accepted.GetRawText(), StringComparison.Ordinal);

        await server.Server.Lake.WhenErasureFinishedAsync(id);
        var done = await admin.GetAsync($"/api/v1/erasure/{id}");
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        var job = await Json(done);
        Assert.Equal(id, job.GetProperty("id").GetString());
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("error").ValueKind);
        Assert.True(job.GetProperty("completedAt").GetDateTimeOffset() >= job.GetProperty("requestedAt").GetDateTimeOffset());
        Assert.Equal(3, job.GetProperty("lakeRowsErased").GetInt64());
        Assert.Equal(3, job.GetProperty("logRecordsErased").GetInt64());
        // Two files of the first day kept other people's rows; the second day held only the person's event.
        Assert.Equal(2, job.GetProperty("filesRewritten").GetInt32());
        Assert.Equal(1, job.GetProperty("filesRemoved").GetInt32());
        Assert.Empty(server.Server.Lake.Catalog.FilesOf(siteId, Day.AddDays(1)));
        Assert.DoesNotContain("u-gone", job.GetRawText(), StringComparison.Ordinal);

        Assert.Equal(0, Count(server, "SELECT count(*) FROM events WHERE user_id = 'u-gone'"));
        Assert.Equal(["m-3", "m-5"], Query(server, "SELECT message_id FROM events ORDER BY message_id").Select(r => (string)r[0]!));
        Assert.Equal(["m-3", "m-5"], server.LogRecords().Select(r => r.GetProperty("message_id").GetString()));
        // Not a byte of the identifier is left in the log, the raw zone (gzip'd segments) or the job's record.
        var bytes = "u-gone"u8.ToArray();
        var raw = Path.Combine(server.DataDirectory, WeirServer.RawDirectoryName);
        var files = Directory.GetFiles(Path.Combine(server.DataDirectory, WeirServer.LogDirectoryName), "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "LOCK") // held by the running log, and empty
            .Concat(Directory.Exists(raw) ? Directory.GetFiles(raw) : [])
            .Concat(Directory.GetFiles(Path.Combine(server.DataDirectory, "lake", "erasure")));
        foreach (var file in files)
        {
            Assert.True(Contents(file).AsSpan().IndexOf(bytes) < 0, $"{file} still holds the erased identifier");
        }

        var unknown = await admin.GetAsync("/api/v1/erasure/er_0000000000000000");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("er_0000000000000000", (await Json(unknown)).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_erasure_by_anonymous_id_without_a_site_covers_every_site()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var (_, shopKey) = await CreateSiteAsync(server, "shop.example");
        var (_, blogKey) = await CreateSiteAsync(server, "blog.example");
        using var admin = server.AdminClient();
        JsonObject Page(string messageId, string anonymousId) =>
            new() { ["type"] = "page", ["messageId"] = messageId, ["anonymousId"] = anonymousId, ["timestamp"] = Iso(At(Day, 9)) };
        await BatchAsync(server, shopKey, Page("m-1", "a-gone"), Page("m-2", "a-stay"));
        await BatchAsync(server, blogKey, Page("m-3", "a-gone"));
        await LoadedAsync(server);

        var response = await admin.PostAsync("/api/v1/erasure", JsonBody("{\"anonymousId\":\"a-gone\"}"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await Json(response);
        Assert.Equal(JsonValueKind.Null, accepted.GetProperty("siteId").ValueKind);
        Assert.Equal("anonymousId", accepted.GetProperty("field").GetString());

        var finished = await server.Server.Lake.WhenErasureFinishedAsync(accepted.GetProperty("id").GetString()!);
        var job = await Json(await admin.GetAsync($"/api/v1/erasure/{finished.Id}"));
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("lakeRowsErased").GetInt64());
        Assert.Equal(2, job.GetProperty("logRecordsErased").GetInt64());
        Assert.Equal(["m-2"], Query(server, "SELECT message_id FROM events").Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Retention_is_set_per_site_and_drops_the_days_older_than_it()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        using var admin = server.AdminClient();
        var (siteId, key) = await CreateSiteAsync(server, "shop.example", retentionDays: 30);
        var (otherId, otherKey) = await CreateSiteAsync(server, "blog.example");
        Assert.Equal(30, Assert.Single((await Json(await admin.GetAsync("/api/v1/sites"))).EnumerateArray(), s => s.GetProperty("id").GetString() == siteId)
            .GetProperty("retentionDays").GetInt32());

        var cleared = await admin.PatchAsync($"/api/v1/sites/{siteId}", JsonBody("{\"retentionDays\":null}"));
        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await Json(cleared)).GetProperty("retentionDays").ValueKind);
        var patched = await admin.PatchAsync($"/api/v1/sites/{siteId}", JsonBody("{\"retentionDays\":365}"));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var site = await Json(patched);
        Assert.Equal(siteId, site.GetProperty("id").GetString());
        Assert.Equal(365, site.GetProperty("retentionDays").GetInt32());

        foreach (var bad in new[] { "{\"retentionDays\":0}", "{\"retentionDays\":40000}", "{\"retentionDays\":-1}" })
        {
            var refused = await admin.PatchAsync($"/api/v1/sites/{siteId}", JsonBody(bad));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var error = await Json(refused);
            Assert.Equal("retentionDays", error.GetProperty("field").GetString());
            Assert.Contains("between 1 and 36500", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        var unknown = await admin.PatchAsync("/api/v1/sites/nosuchsite", JsonBody("{\"retentionDays\":30}"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("'nosuchsite'", (await Json(unknown)).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True(server.Server.Sites.TryGetById(siteId, out var stored));
        Assert.Equal(365, stored.RetentionDays);

        var now = DateTimeOffset.UtcNow;
        var old = now.AddDays(-400);
        var recent = now.AddMinutes(-1);
        await BatchAsync(server, key, Track("m-old-1", "Signup", old), Track("m-old-2", "Signup", old.AddMinutes(1)), Track("m-new", "Signup", recent));
        await BatchAsync(server, otherKey, Track("m-other-old", "Signup", old));
        await LoadedAsync(server);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/v1/maintenance/flush", content: null)).StatusCode);
        var oldDay = DateOnly.FromDateTime(old.UtcDateTime);
        var recentDay = DateOnly.FromDateTime(recent.UtcDateTime);
        Assert.Equal(2, server.Server.Lake.Catalog.Partitions.Count(p => p.SiteId == siteId));

        var result = await server.Server.Lake.ApplyRetentionAsync();
        var dropped = Assert.Single(result.Partitions);
        Assert.Equal((siteId, oldDay), (dropped.SiteId, dropped.EventDate));
        Assert.Equal(2, result.Rows);

        var kept = Assert.Single(server.Server.Lake.Catalog.Partitions, p => p.SiteId == siteId);
        Assert.Equal(recentDay, kept.EventDate);
        Assert.Empty(server.Server.Lake.Catalog.FilesOf(siteId, oldDay));
        // A site without a retention keeps its old day.
        Assert.Single(server.Server.Lake.Catalog.FilesOf(otherId, oldDay));
        Assert.Equal(["m-new"], Query(server, $"SELECT message_id FROM events WHERE site_id = '{siteId}'").Select(r => (string)r[0]!));
        Assert.Equal(["m-other-old"], Query(server, $"SELECT message_id FROM events WHERE site_id = '{otherId}'").Select(r => (string)r[0]!));
        var lake = await Json(await admin.GetAsync("/api/v1/lake"));
        Assert.Equal(2, lake.GetProperty("partitions").GetInt32());
        Assert.Equal(1, lake.GetProperty("pendingDeletes").GetInt32());
    }

    [Fact]
    public async Task A_patch_that_names_no_setting_changes_nothing()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        using var admin = server.AdminClient();
        var (siteId, _) = await CreateSiteAsync(server, retentionDays: 90);
        foreach (var (body, field) in new[] { ("{}", "retentionDays"), ("{\"domain\":\"other.example\"}", "domain"), ("{\"retentionDays\":\"ninety\"}", "retentionDays") })
        {
            var response = await admin.PatchAsync($"/api/v1/sites/{siteId}", JsonBody(body));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(field, (await Json(response)).GetProperty("field").GetString());
        }

        Assert.True(server.Server.Sites.TryGetById(siteId, out var site));
        Assert.Equal(90, site.RetentionDays);
    }

    [Theory]
    [InlineData("GET", "/api/v1/schema", null)]
    [InlineData("GET", "/api/v1/schema?site_id=abc", null)]
    [InlineData("GET", "/api/v1/lake", null)]
    [InlineData("POST", "/api/v1/maintenance/flush", null)]
    [InlineData("POST", "/api/v1/maintenance/compact", null)]
    [InlineData("POST", "/api/v1/erasure", "{\"userId\":\"u-1\"}")]
    [InlineData("GET", "/api/v1/erasure/er_0000000000000000", null)]
    [InlineData("PATCH", "/api/v1/sites/{site}", "{\"retentionDays\":1}")]
    public async Task Every_lake_endpoint_needs_the_admin_token(string method, string path, string? body)
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var (siteId, key) = await CreateSiteAsync(server);
        await BatchAsync(server, key, Track("m-1", "Signup", At(Day, 9), userId: "u-1"));
        await LoadedAsync(server);
        path = path.Replace("{site}", siteId, StringComparison.Ordinal);

        foreach (var token in new[] { null, server.Server.AdminToken.Value + "x" })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = body is null ? null : JsonBody(body) };
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            var response = await server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Authorization", (await Json(response)).GetProperty("field").GetString());
        }

        // Nothing happened: no flush, no erasure job, no change to the site.
        Assert.Equal(0, server.Server.Lake.Counters.Flushes);
        Assert.Empty(server.Server.Lake.Catalog.Files);
        Assert.False(Directory.Exists(Path.Combine(server.DataDirectory, "lake", "erasure")));
        Assert.True(server.Server.Sites.TryGetById(siteId, out var site));
        Assert.Null(site.RetentionDays);
        Assert.Equal(1, Count(server, "SELECT count(*) FROM events WHERE user_id = 'u-1'"));
    }

    [Fact]
    public async Task Every_event_is_in_the_lake_exactly_once_across_restarts()
    {
        string key;
        var sent = 0;
        await using (var server = await RunningServer.StartAsync(_data.Path))
        {
            (_, key) = await CreateSiteAsync(server);
            for (var i = 0; i < 10; i++)
            {
                await SendAsync(server, key, "/v1/track", Track($"m-{sent++}", "Signup", At(Day, 9, i)));
            }

            await BatchAsync(server, key, [.. Enumerable.Range(0, 10).Select(i => Track($"m-{sent++}", "Login", At(Day.AddDays(1), 9, i)))]);
            await LoadedAsync(server);
            using var admin = server.AdminClient();
            Assert.Equal(20, (await Json(await admin.PostAsync("/api/v1/maintenance/flush", content: null))).GetProperty("rowsWritten").GetInt64());

            // Hot when the server stops: the shutdown flush writes them, or the next start reads them again from the log.
            await BatchAsync(server, key, [.. Enumerable.Range(0, 5).Select(i => Track($"m-{sent++}", "Login", At(Day.AddDays(1), 10, i)))]);
            await LoadedAsync(server);
            Assert.Equal(5, server.Server.Lake.HotRows);
        }

        await using (var server = await RunningServer.StartAsync(_data.Path))
        {
            await LoadedAsync(server);
            Assert.Equal(sent, Count(server, "SELECT count(*) FROM events"));
            Assert.Equal(sent, Count(server, "SELECT count(DISTINCT message_id) FROM events"));

            // A client that retries an event it sent before the restart: the de-duplication window outlives the process.
            await SendAsync(server, key, "/v1/track", Track("m-3", "Signup", At(Day, 9, 3)));
            await SendAsync(server, key, "/v1/track", Track($"m-{sent++}", "Signup", At(Day, 11)));
            await LoadedAsync(server);
            Assert.Equal(1, server.Server.Lake.Counters.Duplicates);
            Assert.Equal(sent, Count(server, "SELECT count(*) FROM events"));
        }

        await using (var server = await RunningServer.StartAsync(_data.Path))
        {
            await LoadedAsync(server);
            Assert.Equal(sent, Count(server, "SELECT count(*) FROM events"));
            Assert.Equal(sent, Count(server, "SELECT count(DISTINCT message_id) FROM events"));
            Assert.Equal(sent + 1, server.LogRecords().Count);
        }
    }
}
