using System.Diagnostics;
using System.Globalization;
using Weir.Core.Events;
using Weir.Lake;
using Weir.Log;

namespace Weir.Bench.Freshness;

/// <summary>
/// <c>weir-bench freshness</c>: how long after its durable acknowledgement an event is visible to SQL through the
/// <c>events</c> view, under sustained load, with flushes to Parquet happening during the run.
/// </summary>
/// <remarks>
/// A producer appends page views to a real log at a steady rate, in durable batches as ingest does. A probe appends one
/// marked event every 20 ms; once its append is durable (the moment ingest would answer 200) it queries
/// <c>SELECT count(*) FROM events WHERE message_id = …</c> on its own connection until the row is there. The delay
/// from acknowledgement to the first query that sees it is the freshness; the goal is a p99 of at most 2 s. The query's
/// own time is part of it, as for any user.
/// </remarks>
internal static class FreshnessBenchmark
{
    public static async Task<int> RunAsync(int rate, int seconds, int flushRows)
    {
        var directory = Path.Combine(Path.GetTempPath(), "weir-bench-freshness-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var log = DurableLog.Open(new LogOptions { Directory = Path.Combine(directory, "log"), ArchiveDirectory = Path.Combine(directory, "raw") });
            await using (log)
            {
                var lake = Weir.Lake.Lake.Open(new LakeOptions { DataDirectory = directory, FlushRows = flushRows, BackgroundMaintenance = false }, log);
                await using (lake)
                {
                    lake.Start();
                    return await MeasureAsync(log, lake, rate, TimeSpan.FromSeconds(seconds), flushRows);
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<int> MeasureAsync(DurableLog log, Weir.Lake.Lake lake, int rate, TimeSpan duration, int flushRows)
    {
        using var stop = new CancellationTokenSource(duration);
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var produced = 0L;
        var producer = Task.Run(async () =>
        {
            // Batches every 10 ms, sized for the rate: a steady open-loop load, not as fast as possible.
            var perBatch = Math.Max(1, rate / 100);
            var payloads = new ReadOnlyMemory<byte>[perBatch];
            var clock = Stopwatch.StartNew();
            var next = 0L;
            while (!stop.IsCancellationRequested)
            {
                for (var k = 0; k < perBatch; k++)
                {
                    var n = produced + k;
                    payloads[k] = CanonicalEventWriter.ToUtf8(new CanonicalEvent
                    {
                        MessageId = "load-" + n.ToString(CultureInfo.InvariantCulture),
                        SiteId = "site-a",
                        Protocol = EventProtocol.Segment,
                        Type = EventType.Page,
                        AnonymousId = "v-" + (n % 50_000).ToString(CultureInfo.InvariantCulture),
                        Timestamp = start.AddMilliseconds(n),
                        ReceivedAt = start.AddMilliseconds(n),
                        Path = "/p/" + (n % 40).ToString(CultureInfo.InvariantCulture),
                        Url = "https://shop.example/p/" + (n % 40).ToString(CultureInfo.InvariantCulture),
                    });
                }

                await log.AppendBatchAsync(payloads);
                produced += perBatch;
                next += 10;
                var wait = next - clock.ElapsedMilliseconds;
                if (wait > 0)
                {
                    try
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(wait), stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }
        });

        var delays = new List<double>();
        using var connection = lake.Connect();
        var probe = 0;
        var pace = Stopwatch.StartNew();
        while (!stop.IsCancellationRequested)
        {
            var id = "probe-" + probe++.ToString(CultureInfo.InvariantCulture);
            await log.AppendAsync(CanonicalEventWriter.ToUtf8(new CanonicalEvent
            {
                MessageId = id,
                SiteId = "site-a",
                Protocol = EventProtocol.Segment,
                Type = EventType.Track,
                Event = "Probe",
                Timestamp = start,
                ReceivedAt = start,
            }));
            var acknowledged = Stopwatch.GetTimestamp();
            while (Convert.ToInt64(connection.ExecuteScalar($"SELECT count(*) FROM events WHERE message_id = '{id}'"), CultureInfo.InvariantCulture) == 0)
            {
                // Query again at once: the query itself paces the loop.
            }

            delays.Add(Stopwatch.GetElapsedTime(acknowledged).TotalMilliseconds);
            var wait = (probe * 20) - pace.ElapsedMilliseconds;
            if (wait > 0)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(wait), stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        await producer;
        delays.Sort();
        var p50 = delays[delays.Count / 2];
        var p99 = delays[(int)Math.Min(delays.Count - 1, Math.Ceiling(delays.Count * 0.99) - 1)];
        var max = delays[^1];
        var achieved = produced / duration.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Load {achieved:N0} events/s for {duration.TotalSeconds:0} s, {lake.Counters.Flushes} flushes of up to {flushRows:N0} rows, {delays.Count} probes"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Freshness after the durable ack: p50 {p50:0.0} ms, p99 {p99:0.0} ms, max {max:0.0} ms"));
        var met = p99 <= 2000;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(met ? "MET " : "MISS")} freshness p99 {p99:0} ms (goal <= 2000 ms)"));
        return 0;
    }
}
