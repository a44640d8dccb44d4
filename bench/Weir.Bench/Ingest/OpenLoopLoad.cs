using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace Weir.Bench.Ingest;

/// <summary>
/// An open-loop load generator: requests are sent on a fixed schedule whatever the server does, and each latency is
/// measured from the moment the request was due, so a stall shows in the percentiles instead of hiding behind the
/// requests it held back (coordinated omission). Prints wrk's summary lines, which run.sh parses.
/// </summary>
internal static class OpenLoopLoad
{
    public static async Task<int> RunAsync(string url, double rate, TimeSpan duration, int connections, string bodyFile, string? basicAuth)
    {
        var body = (await File.ReadAllTextAsync(bodyFile).ConfigureAwait(false)).TrimEnd();
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseProxy = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        // The first seconds run at the same rate but are not counted: they pay for the client's JIT and for opening
        // its connections, which is not the server's latency.
        var warmup = (int)(rate * Math.Min(2, duration.TotalSeconds / 4));
        var count = warmup + (int)(rate * duration.TotalSeconds);
        var latencies = new double[count];
        var failed = 0;
        var frequency = (double)Stopwatch.Frequency;
        var tasks = new Task[count];
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var due = start + (long)(i * frequency / rate);
            while (Stopwatch.GetTimestamp() < due)
            {
                // The schedule itself: waiting for the moment the next request is due.
                if (due - Stopwatch.GetTimestamp() > frequency / 500)
                {
                    await Task.Delay(1).ConfigureAwait(false);
                }
                else
                {
                    Thread.Yield();
                }
            }

            var index = i;
            tasks[i] = SendAsync(index, due);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        var elapsed = (Stopwatch.GetTimestamp() - start) / frequency - (warmup / rate);
        var measured = latencies[warmup..];
        Array.Sort(measured);
        count -= warmup;

        double Percentile(double p) => measured[Math.Min(count - 1, (int)Math.Ceiling(p * count) - 1)];
        Console.WriteLine($"Open-loop load: {rate:0} req/s scheduled for {duration.TotalSeconds:0} s over up to {connections} connections");
        Console.WriteLine("  Latency Distribution (from each request's due time)");
        foreach (var p in new[] { 0.5, 0.75, 0.9, 0.99, 0.999 })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {p * 100,5:0.###}%   {Percentile(p):0.00}ms"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {count} requests in {elapsed:0.00}s"));
        if (failed > 0)
        {
            Console.WriteLine($"  Non-2xx or 3xx responses: {failed}");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Requests/sec: {count / elapsed:0.00}"));
        return 0;

        async Task SendAsync(int index, long due)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            if (basicAuth is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basicAuth);
            }

            try
            {
                using var response = await client.SendAsync(request).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode && index >= warmup)
                {
                    Interlocked.Increment(ref failed);
                }
            }
            catch (HttpRequestException)
            {
                if (index >= warmup)
                {
                    Interlocked.Increment(ref failed);
                }
            }

            latencies[index] = (Stopwatch.GetTimestamp() - due) * 1000 / frequency;
        }
    }
}
