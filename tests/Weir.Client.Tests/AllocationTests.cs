using System.Diagnostics;
using Xunit.Abstractions;
using static Weir.Client.Tests.TestClients;

namespace Weir.Client.Tests;

/// <summary>
/// A call allocates nothing of its own once warm: the event is written by a reused writer into a pooled array that
/// the sender gives back. Measured with <see cref="GC.GetAllocatedBytesForCurrentThread"/> on the calling thread; the
/// figures are printed.
/// </summary>
public sealed class AllocationTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Queuing_an_event_allocates_nothing_once_the_pool_is_warm()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        await using var client = Create(server.Client.BaseAddress!, key, o => o.MaxBatchEvents = 1000);

        // One dedicated thread for the whole measurement: the writer is reused per thread.
        var perEvent = await Task.Factory.StartNew(() => MeasureTrackCalls(client), TaskCreationOptions.LongRunning);

        output.WriteLine($"{perEvent:F2} B allocated per Track call once warm");
        Assert.Equal(client.Stats.Enqueued, client.Stats.Sent);
        Assert.InRange(perEvent, 0, 8);
    }

    [Fact]
    public void Queuing_speed_on_one_thread_is_printed()
    {
        const int Events = 50_000;
        using var client = Create(new Uri("http://127.0.0.1:" + UnusedPort()), "wk_nowhere", o =>
        {
            o.QueueCapacity = 2 * Events;
            o.MaxBatchEvents = (2 * Events) + 1;
            o.DisposeTimeout = TimeSpan.Zero;
        });
        var properties = Properties(("sku", "sku-1"), ("price", 14.99), ("quantity", 2), ("gift", false));
        // As many calls again first, so the measured ones run the optimised code.
        for (var i = 0; i < Events; i++)
        {
            client.Track("user-1", "Item Purchased", properties);
        }

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Events; i++)
        {
            client.Track("user-1", "Item Purchased", properties);
        }

        watch.Stop();
        output.WriteLine($"{Events / watch.Elapsed.TotalSeconds:N0} Track calls/s on one thread ({watch.Elapsed.TotalMilliseconds * 1000 / Events:F2} µs each), queue not drained");
        Assert.Equal(2 * Events, client.Stats.Enqueued);
        Assert.Equal(2 * Events, client.Pending);
    }

    private static double MeasureTrackCalls(WeirClient client)
    {
        const int Rounds = 30;
        const int PerRound = 40;
        // The caller's own objects, made once, as a caller would keep a cached dictionary or boxed values.
        var properties = Properties(("sku", "sku-1"), ("price", 14.99), ("quantity", 2), ("gift", false));
        var options = new EventOptions { AnonymousId = "anon-1", Ip = "203.0.113.9" };
        long measured = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < PerRound; i++)
            {
                client.Track("user-1", "Item Purchased", properties, options);
            }

            // The first rounds fill the array pool and grow the queue; each flush hands the arrays back.
            if (round >= Rounds / 3)
            {
                measured += GC.GetAllocatedBytesForCurrentThread() - before;
            }

            client.FlushAsync().Wait();
        }

        return (double)measured / (PerRound * (Rounds - (Rounds / 3)));
    }
}
