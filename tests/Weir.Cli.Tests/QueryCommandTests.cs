using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Weir.Core;
using Weir.Core.Configuration;
using Weir.Server;

namespace Weir.Cli.Tests;

public sealed class QueryCommandTests : IDisposable
{
    /// <summary>One row of awkward values: a NULL, strings CSV must quote, a timestamp, a list, a blob and a HUGEINT.</summary>
    private const string AwkwardRow = """
        SELECT 42 AS n,
               NULL::VARCHAR AS missing,
               'plain' AS plain,
               'a,b' AS comma,
               'say "hi"' AS quotes,
               'two' || chr(10) || 'lines' AS newline,
               '' AS empty,
               TIMESTAMP '2024-03-05 06:07:08.25' AS ts,
               TIMESTAMPTZ '2024-03-05 06:07:08+02:00' AS tstz,
               [1, NULL, 3] AS list,
               '\x01\x02\xFF'::BLOB AS bytes,
               170141183460469231731687303715884105727::HUGEINT AS huge
        """;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private Task<CliResult> Query(string sql, params string[] more) =>
        CliRun.RunAsync(["query", sql, "--data", _temp.Path, .. more]);

    [Fact]
    public async Task Csv_has_a_header_quotes_what_rfc_4180_requires_and_leaves_null_empty()
    {
        var result = await Query(AwkwardRow, "--format", "csv");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            "n,missing,plain,comma,quotes,newline,empty,ts,tstz,list,bytes,huge\r\n" +
            "42,,plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"\",2024-03-05T06:07:08.25,2024-03-05T04:07:08Z,\"[1,null,3]\",AQL/,170141183460469231731687303715884105727\r\n",
            result.Output);
        Assert.Equal("", result.Error);
    }

    [Fact]
    public async Task Json_has_named_typed_columns_and_rows_of_json_values()
    {
        var result = await Query(AwkwardRow, "--format", "json");

        Assert.Equal(0, result.ExitCode);
        using var document = JsonDocument.Parse(result.Output);
        var root = document.RootElement;
        Assert.Equal(
            ["n:INTEGER", "missing:VARCHAR", "plain:VARCHAR", "comma:VARCHAR", "quotes:VARCHAR", "newline:VARCHAR", "empty:VARCHAR",
             "ts:TIMESTAMP", "tstz:TIMESTAMP WITH TIME ZONE", "list:INTEGER[]", "bytes:BLOB", "huge:HUGEINT"],
            root.GetProperty("columns").EnumerateArray().Select(c => $"{c.GetProperty("name").GetString()}:{c.GetProperty("type").GetString()}"));
        var row = Assert.Single(root.GetProperty("rows").EnumerateArray()).EnumerateArray().ToArray();
        Assert.Equal(42, row[0].GetInt32());
        Assert.Equal(JsonValueKind.Null, row[1].ValueKind);
        Assert.Equal("say \"hi\"", row[4].GetString());
        Assert.Equal("two\nlines", row[5].GetString());
        Assert.Equal("", row[6].GetString());
        Assert.Equal("2024-03-05T06:07:08.25", row[7].GetString());
        Assert.Equal("2024-03-05T04:07:08Z", row[8].GetString());
        Assert.Equal("[1,null,3]", row[9].GetRawText());
        Assert.Equal([1, 2, 255], row[10].GetBytesFromBase64());
        Assert.Equal(JsonValueKind.Number, row[11].ValueKind);
        Assert.Equal("170141183460469231731687303715884105727", row[11].GetRawText());
        Assert.Equal(JsonValueKind.Number, root.GetProperty("elapsed_ms").ValueKind);
    }

    [Fact]
    public async Task Json_writes_nan_as_a_string_since_json_has_no_such_number()
    {
        var result = await Query("SELECT 'NaN'::DOUBLE AS x, 0.5::DOUBLE AS y, 'héllo' AS z", "--format", "json");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("""
            "rows":[["NaN",0.5,"héllo"]]
            """, result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Table_is_the_default_and_shows_names_types_values_and_null()
    {
        var result = await Query(AwkwardRow);

        Assert.Equal(0, result.ExitCode);
        var lines = result.Output.Split('\n');
        Assert.Contains(lines, l => l.Contains("n ", StringComparison.Ordinal) && l.Contains("missing", StringComparison.Ordinal) && l.Contains("huge", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("INTEGER", StringComparison.Ordinal) && l.Contains("TIMESTAMP WITH TIME ZONE", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("│ NULL", StringComparison.Ordinal) && l.Contains("a,b", StringComparison.Ordinal) && l.Contains("2024-03-05T06:07:08.25", StringComparison.Ordinal));
        Assert.Equal("1 row", lines[^2]);
        Assert.DoesNotContain('\u001b', result.Output);
    }

    [Fact]
    public async Task Rows_from_many_chunks_are_all_written()
    {
        var csv = await Query("SELECT unnest(range(5000)) AS i", "--format", "csv");
        var json = await Query("SELECT unnest(range(5000)) AS i", "--format", "json");

        var lines = csv.Output.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5001, lines.Length);
        Assert.Equal("4999", lines[^1]);
        using var document = JsonDocument.Parse(json.Output);
        var rows = document.RootElement.GetProperty("rows");
        Assert.Equal(5000, rows.GetArrayLength());
        Assert.Equal(4999, rows[4999][0].GetInt64());
    }

    [Fact]
    public async Task Sql_error_exits_1_with_duckdbs_message_on_stderr()
    {
        var result = await Query("SELECT no_such_column FROM events", "--format", "csv");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Output);
        Assert.Contains("Binder Error", result.Error, StringComparison.Ordinal);
        Assert.Contains("no_such_column", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Syntax_error_exits_1_with_duckdbs_parser_message()
    {
        var result = await Query("SELEC 1");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("syntax error at or near \"SELEC\"", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Column_of_a_type_that_cannot_be_printed_is_named_before_anything_is_written()
    {
        var result = await Query("SELECT 1 AS ok, {'a': 1} AS s", "--format", "json");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Output);
        Assert.Contains("column 's' has type STRUCT", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reads_the_lakes_events_once_the_server_has_stopped_and_refuses_while_it_runs()
    {
        var options = new WeirOptions { DataDirectory = _temp.Path, Http = new HttpOptions { Urls = ["http://127.0.0.1:0"] } };
        await using (var server = new WeirServer(options, logging => logging.ClearProviders()))
        {
            using var client = new HttpClient { BaseAddress = Assert.Single(await server.StartAsync()) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminToken.Value);
            var site = JsonDocument.Parse(await (await client.PostAsJsonAsync("/api/v1/sites", new { domain = "shop.example" })).Content.ReadAsStringAsync()).RootElement;
            using var batch = new HttpRequestMessage(HttpMethod.Post, "/v1/batch")
            {
                Content = new StringContent("""{"batch":[{"type":"track","event":"A","userId":"u","messageId":"m-1"},{"type":"track","event":"B","userId":"u","messageId":"m-2"}]}""", Encoding.UTF8, "application/json"),
            };
            batch.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(site.GetProperty("writeKey").GetString() + ":")));
            Assert.True((await client.SendAsync(batch)).IsSuccessStatusCode);

            var busy = await Query("SELECT count(*) FROM events");
            Assert.Equal(1, busy.ExitCode);
            Assert.Contains("in use by a running server", busy.Error, StringComparison.Ordinal);
            await server.StopAsync();
        }

        var result = await Query("SELECT count(*) AS n, count(DISTINCT site_id) AS sites FROM events", "--format", "csv");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("n,sites\r\n2,1\r\n", result.Output);
    }

    [Fact]
    public async Task Anything_but_one_select_over_events_and_sessions_is_refused()
    {
        foreach (var sql in new[] { "CREATE TABLE t AS SELECT 7 AS v", "SELECT 1; SELECT 2", "SELECT * FROM read_text('/etc/passwd')", "SELECT * FROM hot_events" })
        {
            var result = await Query(sql);
            Assert.Equal(1, result.ExitCode);
            Assert.Equal("", result.Output);
            Assert.StartsWith("weir query: ", result.Error, StringComparison.Ordinal);
        }

        var sessions = await Query("SELECT count(*) AS n FROM sessions", "--format", "csv");
        Assert.Equal("n\r\n0\r\n", sessions.Output);
    }

    [Fact]
    public async Task Data_folder_comes_from_WEIR_DATA_when_there_is_no_flag()
    {
        var environment = new Dictionary<string, string?> { ["WEIR_DATA"] = _temp.Path };

        var result = await CliRun.RunAsync(environment, "query", "SELECT 1 AS one", "--format", "csv");

        Assert.Equal(0, result.ExitCode);
        Assert.True(Directory.Exists(_temp.Combine("lake")));
    }

    [Fact]
    public async Task Unknown_format_is_a_usage_error()
    {
        var result = await Query("SELECT 1", "--format", "xml");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("xml", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_temp.Combine("lake")));
    }

    [Fact]
    public async Task Version_prints_the_product_version()
    {
        var result = await CliRun.RunAsync("--version");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(WeirVersion.Current, result.Output.Trim());
        Assert.StartsWith("0.1.0", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_with_a_bad_option_exits_2_before_starting()
    {
        var result = await CliRun.RunAsync("serve", "--data", _temp.Path, "--log-level", "loud", "--urls", "http://127.0.0.1:0");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("weir: --log-level: 'loud' is not one of Trace, Debug, Information, Warning, Error, Critical", result.Error.Trim());
    }
}
