using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Weir.DuckDb;
using Weir.Query.Sql;

namespace Weir.Server.Tests;

/// <summary>
/// One server with two sites, each with events in Parquet files and in the hot table, and a read token for the first.
/// </summary>
public sealed class SqlServerFixture : IAsyncLifetime
{
    private readonly TempDirectory _data = new();

    internal RunningServer Server { get; private set; } = null!;

    public string SiteA { get; private set; } = "";

    public string SiteB { get; private set; } = "";

    public string ReadTokenA { get; private set; } = "";

    public string LakeRoot => Path.Combine(Server.DataDirectory, "lake");

    public string PartitionsOfB => Path.Combine(LakeRoot, "events", "site_id=" + SiteB);

    public async Task InitializeAsync()
    {
        Server = await RunningServer.StartAsync(_data.Path, sql: new SqlSandboxOptions { Timeout = TimeSpan.FromSeconds(1), MaxRows = 50 });
        (SiteA, var keyA) = await CreateSiteAsync("a.example");
        (SiteB, var keyB) = await CreateSiteAsync("b.example");
        await BatchAsync(keyA, Page("a-1", "u-1", 10), Page("a-2", "u-1", 11), Page("a-3", "u-2", 10));
        await BatchAsync(keyB, Page("b-1", "u-9", 10));
        await Server.Server.Lake.WhenLoadedAsync(Server.Server.EventLog.CommittedPosition);
        await Server.Server.Lake.FlushAsync();
        // More rows after the flush, so both the files and the hot table hold some of each site.
        await BatchAsync(keyA, Page("a-4", "u-3", 12));
        await BatchAsync(keyB, Page("b-2", "u-9", 12));
        await Server.Server.Lake.WhenLoadedAsync(Server.Server.EventLog.CommittedPosition);

        using var admin = Server.AdminClient();
        var response = await admin.PostAsJsonAsync("/api/v1/tokens", new { sites = new[] { SiteA }, scope = "read" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        ReadTokenA = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _data.Dispose();
    }

    public HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = Server.Client.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static JsonObject Page(string messageId, string userId, int hour) => new()
    {
        ["type"] = "page",
        ["messageId"] = messageId,
        ["userId"] = userId,
        ["timestamp"] = new DateTime(2026, 3, 14, hour, 0, 0, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["properties"] = new JsonObject { ["path"] = "/" + messageId },
    };

    private async Task BatchAsync(string writeKey, params JsonObject[] events)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/batch")
        {
            Content = new StringContent(new JsonObject { ["batch"] = new JsonArray(events) }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
        var response = await Server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<(string Id, string WriteKey)> CreateSiteAsync(string domain)
    {
        using var admin = Server.AdminClient();
        var response = await admin.PostAsJsonAsync("/api/v1/sites", new { domain });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var site = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return (site.GetProperty("id").GetString()!, site.GetProperty("writeKey").GetString()!);
    }
}

public sealed class SqlEndpointTests(SqlServerFixture fixture) : IClassFixture<SqlServerFixture>
{
    /// <summary>Ways out of the sandbox; <c>{lake}</c> and <c>{other}</c> stand for the lake folder and the other site's partitions.</summary>
    public static TheoryData<string> EscapeAttempts() =>
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_csv_auto('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_blob('/etc/passwd')",
        "SELECT * FROM read_parquet('/etc/passwd')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM sniff_csv('/etc/passwd')",
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM read_parquet('{other}/*/*.parquet')",
        "SELECT * FROM '{other}/*/*.parquet'",
        "SELECT * FROM glob('{other}/*/*')",
        "SELECT * FROM read_parquet('{lake}/events/*/*/*.parquet', hive_partitioning = true)",
        "SELECT * FROM (SELECT * FROM read_text('{lake}/catalog.json'))",
        "SELECT (SELECT count(*) FROM read_blob('/etc/passwd'))",
        "SELECT * FROM main.events",
        "SELECT * FROM memory.main.events",
        "SELECT * FROM temp.main.events",
        "SELECT * FROM hot_events",
        "SELECT * FROM events UNION ALL SELECT * FROM main.hot_events",
        "WITH hot_events AS (SELECT 1 AS x) SELECT * FROM (SELECT * FROM hot_events)",
        "SELECT * FROM duckdb_settings()",
        "SELECT * FROM duckdb_tables()",
        "SELECT current_setting('allowed_directories')",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "RESET lock_configuration",
        "PRAGMA version",
        "PRAGMA enable_external_access",
        "COPY (SELECT * FROM events) TO '{lake}/stolen.csv'",
        "COPY events TO '/tmp/stolen.csv'",
        "EXPORT DATABASE '{lake}/export'",
        "ATTACH ':memory:' AS other",
        "ATTACH '{lake}/other.duckdb' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "CREATE TABLE t AS SELECT * FROM events",
        "CREATE TEMP VIEW events AS SELECT 1",
        "CREATE MACRO m() AS 1",
        "INSERT INTO events SELECT * FROM events",
        "DELETE FROM events",
        "UPDATE events SET path = 'x'",
        "DROP VIEW events",
        "DESCRIBE events",
        "SUMMARIZE events",
        "SELECT 1; SELECT 2",
        "SELECT 1; SET enable_external_access = true",
        "SELECT * FROM query('SELECT * FROM hot_events')",
        "SELECT * FROM query_table('hot_events')",
        "SELECT getenv('HOME')",
        "CALL pragma_version()",
        "SELECT * FROM events WHERE site_id = $1",
        "SELEC nothing",
    ];

    private async Task<(HttpStatusCode Status, JsonElement Body)> SqlAsync(string token, string sql, string? site = null)
    {
        using var client = fixture.Client(token);
        var response = await client.PostAsJsonAsync("/api/v1/sql", new { sql, site });
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private string Admin => fixture.Server.Server.AdminToken.Value;

    private static string[] Column(JsonElement body) =>
        [.. body.GetProperty("rows").EnumerateArray().Select(r => r[0].ToString())];

    [Theory]
    [MemberData(nameof(EscapeAttempts))]
    public async Task Every_escape_attempt_answers_400_with_a_message(string attempt)
    {
        var sql = attempt.Replace("{lake}", fixture.LakeRoot, StringComparison.Ordinal).Replace("{other}", fixture.PartitionsOfB, StringComparison.Ordinal);

        foreach (var token in new[] { fixture.ReadTokenA, Admin })
        {
            var (status, body) = await SqlAsync(token, sql);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("error").GetString()));
        }

        // Nothing was written or changed: no file appeared, and the lake still answers.
        Assert.False(File.Exists(Path.Combine(fixture.LakeRoot, "stolen.csv")));
        Assert.False(File.Exists("/tmp/stolen.csv"));
        Assert.False(Directory.Exists(Path.Combine(fixture.LakeRoot, "export")));
        var (ok, count) = await SqlAsync(Admin, "SELECT count(*) AS n FROM events");
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal("6", Column(count)[0]);
    }

    [Fact]
    public void The_lake_database_itself_refuses_files_outside_the_lake_and_configuration_changes()
    {
        // The layer under the parse-tree check: were the check to miss something, DuckDB still refuses it.
        using var connection = fixture.Server.Server.Lake.Connect();
        Assert.Throws<DuckDbException>(() => connection.Execute("SELECT * FROM read_text('/etc/passwd')"));
        Assert.Throws<DuckDbException>(() => connection.Execute("SELECT * FROM read_parquet('/etc/passwd')"));
        Assert.Throws<DuckDbException>(() => connection.Execute("COPY (SELECT 1) TO '/tmp/weir-escape.csv'"));
        Assert.Throws<DuckDbException>(() => connection.Execute("SET enable_external_access = true"));
        Assert.Throws<DuckDbException>(() => connection.Execute("SET lock_configuration = false"));
        Assert.Throws<DuckDbException>(() => connection.Execute("ATTACH '/tmp/weir-escape.duckdb' AS other"));
        Assert.False(File.Exists("/tmp/weir-escape.csv"));
    }

    [Fact]
    public async Task A_read_token_sees_only_its_sites_rows_in_events_and_sessions()
    {
        var (status, events) = await SqlAsync(fixture.ReadTokenA, "SELECT DISTINCT site_id FROM events");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([fixture.SiteA], Column(events));

        var (_, count) = await SqlAsync(fixture.ReadTokenA, "SELECT count(*) FROM events");
        Assert.Equal(["4"], Column(count));

        var (_, sessions) = await SqlAsync(fixture.ReadTokenA, "SELECT DISTINCT site_id FROM sessions");
        Assert.Equal([fixture.SiteA], Column(sessions));

        var (_, cte) = await SqlAsync(fixture.ReadTokenA, "WITH e AS (SELECT * FROM events) SELECT count(DISTINCT site_id) FROM e");
        Assert.Equal(["1"], Column(cte));
    }

    [Fact]
    public async Task The_admin_sees_every_site_and_site_narrows_to_one()
    {
        var (_, all) = await SqlAsync(Admin, "SELECT site_id FROM events GROUP BY site_id ORDER BY count(*) DESC");
        Assert.Equal([fixture.SiteA, fixture.SiteB], Column(all));

        var (status, narrowed) = await SqlAsync(Admin, "SELECT DISTINCT site_id FROM sessions", fixture.SiteB);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([fixture.SiteB], Column(narrowed));
    }

    [Fact]
    public async Task A_read_token_may_not_ask_for_another_site_nor_use_the_admin_api()
    {
        var (status, body) = await SqlAsync(fixture.ReadTokenA, "SELECT count(*) FROM events", fixture.SiteB);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("site", body.GetProperty("field").GetString());

        using var client = fixture.Client(fixture.ReadTokenA);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/sites")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/v1/tokens", new { sites = new[] { fixture.SiteB }, scope = "read" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/api/v1/maintenance/compact", null)).StatusCode);

        var (anonymous, _) = await SqlAsync("not-a-token", "SELECT 1");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous);
    }

    [Fact]
    public async Task A_result_has_typed_columns_rows_and_the_time_taken()
    {
        var (status, body) = await SqlAsync(Admin, "SELECT 42::BIGINT AS n, 'x' AS s");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""[{"name":"n","type":"BIGINT"},{"name":"s","type":"VARCHAR"}]""", body.GetProperty("columns").GetRawText());
        Assert.Equal("""[[42,"x"]]""", body.GetProperty("rows").GetRawText());
        Assert.False(body.GetProperty("truncated").GetBoolean());
        Assert.True(body.GetProperty("elapsed_ms").GetInt64() >= 0);
    }

    [Fact]
    public async Task Errors_carry_duckdbs_message()
    {
        var (status, body) = await SqlAsync(fixture.ReadTokenA, "SELECT no_such_column FROM events");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("no_such_column", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("Binder Error", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_huge_result_is_cut_at_the_row_limit()
    {
        var (status, body) = await SqlAsync(fixture.ReadTokenA, "SELECT unnest(range(1000000)) AS n");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(50, body.GetProperty("rows").GetArrayLength());
        Assert.True(body.GetProperty("truncated").GetBoolean());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_with_or_without_a_content_length()
    {
        var huge = "{\"sql\":\"SELECT 1 -- " + new string('x', 300_000) + "\"}";
        using var client = fixture.Client(fixture.ReadTokenA);

        var sized = await client.PostAsync("/api/v1/sql", new StringContent(huge, System.Text.Encoding.UTF8, "application/json"));
        var chunked = await client.PostAsync("/api/v1/sql", new ChunkedJsonContent(huge));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, sized.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.StatusCode);
        Assert.Contains("larger than 262144 bytes", await chunked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_huge_cross_join_is_interrupted_by_the_time_limit()
    {
        var (status, body) = await SqlAsync(fixture.ReadTokenA, "SELECT count(*) FROM (SELECT unnest(range(100000)) AS a), (SELECT unnest(range(100000)) AS b), (SELECT unnest(range(100000)) AS c)");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("was interrupted", body.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Tokens_need_existing_sites_and_the_read_scope_and_only_their_hash_is_kept()
    {
        using var admin = fixture.Server.AdminClient();
        var wrongScope = await admin.PostAsJsonAsync("/api/v1/tokens", new { sites = new[] { fixture.SiteA }, scope = "write" });
        Assert.Equal(HttpStatusCode.BadRequest, wrongScope.StatusCode);
        Assert.Equal("scope", JsonDocument.Parse(await wrongScope.Content.ReadAsStringAsync()).RootElement.GetProperty("field").GetString());

        var unknown = await admin.PostAsJsonAsync("/api/v1/tokens", new { sites = new[] { "no-such-site" }, scope = "read" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("sites", JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()).RootElement.GetProperty("field").GetString());

        var path = Path.Combine(fixture.Server.DataDirectory, "tokens.json");
        Assert.DoesNotContain(fixture.ReadTokenA, File.ReadAllText(path), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }
}
