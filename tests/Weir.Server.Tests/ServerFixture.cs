using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Weir.Core.Configuration;
using Weir.Log;
using Weir.Query.Sql;
using Weir.Server.Ingest;

namespace Weir.Server.Tests;

/// <summary>A real Weir server on a loopback port, with its own data folder, and a client for it.</summary>
internal sealed class RunningServer : IAsyncDisposable
{
    private RunningServer(WeirServer server, Uri address, string dataDirectory)
    {
        Server = server;
        DataDirectory = dataDirectory;
        Client = new HttpClient { BaseAddress = address };
    }

    public WeirServer Server { get; }

    public string DataDirectory { get; }

    public HttpClient Client { get; }

    public HttpClient AdminClient()
    {
        var client = new HttpClient { BaseAddress = Client.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Server.AdminToken.Value);
        return client;
    }

    // url: a free loopback port by default; a fixed one lets a test restart a server where a client expects it.
    public static async Task<RunningServer> StartAsync(string dataDirectory, string? adminToken = null, IngestServerOptions? ingest = null, SqlSandboxOptions? sql = null,
        string url = "http://127.0.0.1:0")
    {
        var options = new WeirOptions
        {
            DataDirectory = dataDirectory,
            Http = new HttpOptions { Urls = [url] },
            Logging = new LoggingOptions { Level = WeirLogLevel.Warning },
            AdminToken = adminToken,
        };
        var server = new WeirServer(options, ingest: ingest, sql: sql);
        var addresses = await server.StartAsync();
        return new RunningServer(server, addresses[0], dataDirectory);
    }

    /// <summary>Creates a site through the admin API and returns its write key.</summary>
    public async Task<string> CreateSiteAsync(string domain = "shop.example", string[]? allowedOrigins = null)
    {
        using var admin = AdminClient();
        var response = await admin.PostAsJsonAsync("/api/v1/sites", new { domain, allowedOrigins });
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("writeKey").GetString()!;
    }

    /// <summary>
    /// Every record in the event log, the raw zone's archived segments included, as parsed JSON, in log order; erased
    /// records (tombstones) are left out.
    /// </summary>
    public List<JsonElement> LogRecords()
    {
        var records = new List<JsonElement>();
        using var reader = Server.EventLog.OpenReplay();
        for (var batch = reader.Read(); batch.Count > 0; batch = reader.Read())
        {
            foreach (var record in batch)
            {
                if (LogTombstone.IsErased(record.Payload.Span))
                {
                    continue;
                }

                records.Add(JsonDocument.Parse(record.Payload).RootElement.Clone());
            }
        }

        return records;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.StopAsync();
        await Server.DisposeAsync();
    }
}


/// <summary>A JSON body sent with chunked transfer encoding: no Content-Length for the server to check first.</summary>
internal sealed class ChunkedJsonContent : HttpContent
{
    private readonly byte[] _json;

    public ChunkedJsonContent(string json)
    {
        _json = System.Text.Encoding.UTF8.GetBytes(json);
        Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
    }

    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(_json).AsTask();

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
