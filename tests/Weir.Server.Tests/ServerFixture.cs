using System.Net.Http.Headers;
using Weir.Core.Configuration;

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

    public static async Task<RunningServer> StartAsync(string dataDirectory, string? adminToken = null)
    {
        var options = new WeirOptions
        {
            DataDirectory = dataDirectory,
            Http = new HttpOptions { Urls = ["http://127.0.0.1:0"] },
            Logging = new LoggingOptions { Level = WeirLogLevel.Warning },
            AdminToken = adminToken,
        };
        var server = new WeirServer(options);
        var addresses = await server.StartAsync();
        return new RunningServer(server, addresses[0], dataDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.StopAsync();
        await Server.DisposeAsync();
    }
}

internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("weir-server-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
