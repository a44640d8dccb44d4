using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Weir.Server.Ingest;

namespace Weir.Server.Tests;

/// <summary>
/// A real full disk: the data folder sits on a 6 MiB tmpfs. Needs root to mount it (./test.sh runs as root in CI).
/// </summary>
public sealed class DiskFullTests : IDisposable
{
    private readonly string _mount = Directory.CreateTempSubdirectory("weir-tmpfs-").FullName;
    private bool _mounted;

    public void Dispose()
    {
        if (_mounted)
        {
            Run("umount", _mount);
        }

        Directory.Delete(_mount, recursive: true);
    }

    private static int Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.WaitForExit();
        return process.ExitCode;
    }

    private static HttpRequestMessage Batch(string writeKey, string prefix, int events)
    {
        var json = new StringBuilder("{\"batch\":[");
        for (var i = 0; i < events; i++)
        {
            json.Append(i == 0 ? "" : ",").Append("{\"type\":\"track\",\"event\":\"Fill\",\"userId\":\"u\",\"messageId\":\"")
                .Append(prefix).Append('-').Append(i).Append("\",\"properties\":{\"pad\":\"").Append('x', 200).Append("\"}}");
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/batch") { Content = new StringContent(json.Append("]}").ToString(), Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
        return request;
    }

    [Fact]
    public async Task A_full_disk_gets_503s_without_corruption_and_ingest_recovers_once_space_is_freed()
    {
        _mounted = Run("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", _mount) == 0;
        Assert.True(_mounted, "this test mounts a small tmpfs and needs root; run it as root (./test.sh in CI does)");
        var data = Path.Combine(_mount, "data");
        var filler = Path.Combine(_mount, "filler");
        var acknowledged = new List<string>();
        var ingest = new IngestServerOptions { MinFreeDiskBytes = 0 };

        await using (var server = await RunningServer.StartAsync(data, ingest: ingest))
        {
            var key = await server.CreateSiteAsync();
            File.WriteAllBytes(filler, new byte[8 << 20]); // something else on the disk, to free later

            async Task<(HttpStatusCode Status, string? Code)> SendAsync(string prefix)
            {
                using var response = await server.Client.SendAsync(Batch(key, prefix, 200));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    acknowledged.AddRange(Enumerable.Range(0, 200).Select(i => $"{prefix}-{i}"));
                    return (response.StatusCode, null);
                }

                return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
            }

            var statuses = new List<(HttpStatusCode Status, string? Code)>();
            for (var round = 0; round < 1000 && !statuses.Exists(s => s.Status == HttpStatusCode.ServiceUnavailable); round++)
            {
                statuses.Add(await SendAsync($"a{round}"));
            }

            Assert.Contains((HttpStatusCode.ServiceUnavailable, "disk_full"), statuses);
            Assert.All(statuses, s => Assert.True(s.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"got {(int)s.Status}"));
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "disk_full"), await SendAsync("still-full"));

            File.Delete(filler);
            Assert.Equal((HttpStatusCode.OK, (string?)null), await SendAsync("after"));
            Assert.Equal((HttpStatusCode.OK, (string?)null), await SendAsync("after-again"));
        }

        // Reopening after the episode finds no corruption and every acknowledged event.
        await using (var server = await RunningServer.StartAsync(data, ingest: ingest))
        {
            Assert.Null(server.Server.EventLog.Recovery.Corruption);
            var ids = server.LogRecords().Select(r => r.GetProperty("message_id").GetString()!).ToHashSet(StringComparer.Ordinal);
            Assert.True(acknowledged.Count >= 400, $"only {acknowledged.Count} events were acknowledged");
            var missing = acknowledged.Count(id => !ids.Contains(id));
            Assert.True(missing == 0, $"{missing} acknowledged events are missing");
            Assert.Contains("after-again-199", ids);
        }
    }
}
