using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Weir.Core.Configuration;
using Weir.Log;

namespace Weir.Cli.Tests;

/// <summary>
/// A real <c>weir serve</c> under concurrent load, killed with SIGKILL at random moments and started again: every
/// event it acknowledged must be in the log afterwards, and it must be serving again quickly.
/// </summary>
public sealed class CrashTests : IDisposable
{
    private const string AdminToken = "crash-test-admin-token-0123456789";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Acknowledged_events_survive_kill_9_at_random_moments()
    {
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("WEIR_CRASH_ITERATIONS"), CultureInfo.InvariantCulture, out var n) ? n : 50;
        var random = new Random(20261122);
        var acknowledged = new ConcurrentDictionary<string, bool>();
        var startTimes = new List<TimeSpan>();
        string? writeKey = null;

        for (var round = 0; round < iterations; round++)
        {
            var port = FreePort();
            var started = Stopwatch.StartNew();
            using var weir = StartServer(port);
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            await WaitUntilServingAsync(client, weir);
            startTimes.Add(started.Elapsed);
            writeKey ??= await CreateSiteAsync(client);

            using var stop = new CancellationTokenSource();
            var senders = Enumerable.Range(0, 8).Select(s => SendUntilKilledAsync(client, writeKey, $"r{round}-s{s}", acknowledged, stop.Token)).ToArray();
            await Task.Delay(random.Next(20, 400)); // the random moment of the crash: the point of the experiment, not a wait for anything
            weir.Kill(entireProcessTree: true);     // SIGKILL
            await weir.WaitForExitAsync();
            await stop.CancelAsync();
            await Task.WhenAll(senders);
        }

        // The server is dead: open its log directly, as the next start would, and look for every acknowledged event.
        await using var log = DurableLog.Open(new LogOptions { Directory = Path.Combine(_temp.Path, "log") });
        var inLog = ReadMessageIds(log);

        Assert.True(acknowledged.Count > iterations * 10, $"only {acknowledged.Count} events were acknowledged in {iterations} rounds");
        var missing = acknowledged.Keys.Where(id => !inLog.Contains(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged events are missing, e.g. {string.Join(", ", missing.Take(5))}");
        startTimes.Sort();
        var median = startTimes[startTimes.Count / 2];
        Assert.True(median < TimeSpan.FromSeconds(2), $"median time from start to serving was {median.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Sigterm_under_load_finishes_requests_in_flight_and_exits_within_ten_seconds()
    {
        var port = FreePort();
        using var weir = StartServer(port);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        await WaitUntilServingAsync(client, weir);
        var writeKey = await CreateSiteAsync(client);
        var acknowledged = new ConcurrentDictionary<string, bool>();

        using var stop = new CancellationTokenSource();
        var senders = Enumerable.Range(0, 8).Select(s => SendUntilKilledAsync(client, writeKey, $"term-s{s}", acknowledged, stop.Token)).ToArray();
        while (acknowledged.Count < 200)
        {
            Assert.False(weir.HasExited);
            await Task.Delay(5); // polling a condition: load is flowing
        }

        var stopping = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", weir.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using (var deadline = new CancellationTokenSource(Patience))
        {
            await weir.WaitForExitAsync(deadline.Token);
        }

        var stopTime = stopping.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(senders);

        Assert.Equal(0, weir.ExitCode);
        Assert.True(stopTime < TimeSpan.FromSeconds(10), $"stopping took {stopTime.TotalSeconds:0.0} s");
        await using var log = DurableLog.Open(new LogOptions { Directory = Path.Combine(_temp.Path, "log") });
        Assert.Equal(0, log.Recovery.TornBytesTruncated);
        var inLog = ReadMessageIds(log);
        var missing = acknowledged.Keys.Where(id => !inLog.Contains(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged events are missing after a graceful stop");
    }

    private static HashSet<string> ReadMessageIds(DurableLog log)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        using var reader = log.OpenReader(log.StartPosition);
        while (reader.Position < log.CommittedPosition)
        {
            foreach (var record in reader.Read())
            {
                ids.Add(JsonDocument.Parse(record.Payload).RootElement.GetProperty("message_id").GetString()!);
            }
        }

        return ids;
    }

    private static async Task SendUntilKilledAsync(HttpClient client, string writeKey, string prefix, ConcurrentDictionary<string, bool> acknowledged, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var id = $"{prefix}-{i}";
            var body = "{\"type\":\"track\",\"event\":\"Crash Test\",\"userId\":\"u\",\"messageId\":\"" + id + "\",\"properties\":{\"i\":" + i.ToString(CultureInfo.InvariantCulture) + "}}";
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
            try
            {
                using var response = await client.SendAsync(request, stop);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    acknowledged[id] = true;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                return; // the server was killed: this event was never acknowledged
            }
        }
    }

    private static async Task<string> CreateSiteAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sites") { Content = JsonContent.Create(new { domain = "crash.example" }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("writeKey").GetString()!;
    }

    private static async Task WaitUntilServingAsync(HttpClient client, Process weir)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Patience)
        {
            Assert.False(weir.HasExited, $"weir serve exited with {(weir.HasExited ? weir.ExitCode : 0)}: {(weir.HasExited ? await weir.StandardError.ReadToEndAsync() : "")}");
            try
            {
                using var response = await client.GetAsync("/healthz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(10); // polling a condition with a deadline
        }

        Assert.Fail("weir serve did not answer /healthz in time");
    }

    private Process StartServer(int port)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = false,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "weir.dll"));
        foreach (var arg in new[] { "serve", "--data", _temp.Path, "--urls", $"http://127.0.0.1:{port}", "--log-level", "Warning" })
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in WeirEnvironment.FromProcess().Keys)
        {
            info.Environment.Remove(name);
        }

        info.Environment[WeirEnvironment.AdminToken] = AdminToken;
        return Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
