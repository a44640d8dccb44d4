using Microsoft.Extensions.Logging;
using Weir.Server.Ingest;
using static Weir.Client.Tests.TestClients;

namespace Weir.Client.Tests;

/// <summary>Retries, refusals and the queue's bound, against real servers that go away, shed load or refuse.</summary>
public sealed class DeliveryTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task A_server_that_stops_and_comes_back_receives_every_event_exactly_once()
    {
        const int Events = 300;
        var (key, url) = await SiteOnAStoppedServerAsync();

        await using var client = Create(new Uri(url), key, o =>
        {
            o.MaxBatchEvents = 50;
            o.MaxRetries = 1000;
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(300);
        });

        for (var i = 0; i < Events / 2; i++)
        {
            Assert.True(client.Track("user-" + i, "Item Viewed"));
        }

        // The sender is failing now; calls still return at once and are queued.
        await Eventually.Until(() => client.Stats.FailedRequests >= 3, "the client has failed to reach the stopped server three times");
        for (var i = Events / 2; i < Events; i++)
        {
            Assert.True(client.Track("user-" + i, "Item Viewed"));
        }

        Assert.Equal(0, client.Stats.Sent);
        Assert.Equal(Events, client.Pending);

        await using var second = await RunningServer.StartAsync(_data.Path, url: url);
        await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));

        var records = second.LogRecords();
        Assert.Equal(Events, records.Count);
        Assert.Equal(Events, records.Select(r => r.GetProperty("message_id").GetString()).Distinct().Count());
        Assert.Equal(Events, client.Stats.Sent);
        Assert.Equal(0, client.Stats.Dropped);
        Assert.True(client.Stats.Retries >= 3, client.Stats.ToString());
    }

    [Fact]
    public async Task Answers_503_are_retried_no_sooner_than_Retry_After_until_the_server_takes_the_events()
    {
        const int Events = 20;
        var (key, url) = await SiteOnAStoppedServerAsync();

        // A server that wants more free disk than any disk has answers 503 disk_low to everything.
        var shedding = new IngestServerOptions { MinFreeDiskBytes = long.MaxValue, RetryAfter = TimeSpan.FromSeconds(1) };
        var server = await RunningServer.StartAsync(_data.Path, ingest: shedding, url: url);
        await using var proxy = await CountingProxy.StartAsync(new Uri(url));
        await using var client = Create(proxy.Address, key, o =>
        {
            o.MaxRetries = 1000;
            o.MaxRetryDelay = TimeSpan.FromSeconds(5);
        });

        for (var i = 0; i < Events; i++)
        {
            Assert.True(client.Track("user-" + i, "Item Viewed"));
        }

        var flushed = client.FlushAsync();
        await Eventually.Until(() => proxy.Requests.Count >= 3, "three requests reached the shedding server");
        await server.DisposeAsync();

        var refused = proxy.Requests.Take(3).ToList();
        Assert.All(refused, r => Assert.Equal(503, r.Status));
        for (var i = 1; i < refused.Count; i++)
        {
            // Without Retry-After the client would be back within 50–100 ms (MinRetryDelay 50 ms).
            var gap = refused[i].ReceivedAt - refused[i - 1].AnsweredAt;
            Assert.True(gap >= TimeSpan.FromMilliseconds(990), $"retry {i} came {gap.TotalMilliseconds} ms after a Retry-After of 1 s");
        }

        await using var healthy = await RunningServer.StartAsync(_data.Path, url: url);
        await flushed.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(Events, healthy.LogRecords().Select(r => r.GetProperty("message_id").GetString()).Distinct().Count());
        Assert.Equal(Events, healthy.LogRecords().Count);
        Assert.Equal(Events, client.Stats.Sent);
        Assert.Equal(0, client.Stats.Dropped);
    }

    [Fact]
    public async Task Rate_limited_batches_are_retried_after_Retry_After_and_arrive_once()
    {
        const int Events = 30;
        var limited = new IngestServerOptions { RequestsPerSecondPerKey = 1, RetryAfter = TimeSpan.FromSeconds(1) };
        await using var server = await RunningServer.StartAsync(_data.Path, ingest: limited);
        var key = await server.CreateSiteAsync();
        await using var proxy = await CountingProxy.StartAsync(server.Client.BaseAddress!);
        await using var client = Create(proxy.Address, key, o =>
        {
            o.MaxBatchEvents = 5;
            o.MaxRetries = 1000;
            o.MaxRetryDelay = TimeSpan.FromSeconds(5);
        });

        for (var i = 0; i < Events; i++)
        {
            Assert.True(client.Track("user-" + i, "Item Viewed"));
        }

        await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));

        var requests = proxy.Requests;
        Assert.Contains(requests, r => r.Status == 429);
        for (var i = 1; i < requests.Count; i++)
        {
            if (requests[i - 1].Status == 429)
            {
                Assert.True(requests[i].ReceivedAt - requests[i - 1].AnsweredAt >= TimeSpan.FromMilliseconds(990), "a retry came before Retry-After");
            }
        }

        Assert.Equal(Events / 5, requests.Count(r => r.Status == 200));
        Assert.Equal(Events, server.LogRecords().Select(r => r.GetProperty("message_id").GetString()).Distinct().Count());
        Assert.Equal(Events, server.LogRecords().Count);
        Assert.Equal(requests.Count(r => r.Status == 429), client.Stats.Retries);
    }

    [Fact]
    public async Task A_batch_the_server_refuses_with_400_is_dropped_counted_and_not_retried()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        await using var proxy = await CountingProxy.StartAsync(server.Client.BaseAddress!);
        var loggers = Capturing(out var log);
        await using var client = Create(proxy.Address, key, loggers: loggers);

        // Under the client's 32 KB, over the server's 8 192-byte limit for one string.
        var tooLong = new string('x', 9000);
        Assert.True(client.Track("user-1", "Note Saved", Properties(("text", tooLong))));
        await client.FlushAsync();

        var refused = Assert.Single(proxy.Requests);
        Assert.Equal(400, refused.Status);
        Assert.Equal(1, client.Stats.DroppedFor(DropReason.Rejected));
        Assert.Equal(0, client.Stats.Retries);
        Assert.Equal(1, client.Stats.FailedRequests);
        var error = Assert.Single(log.Entries, e => e.EventId.Name == "BatchRejected");
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.Contains("string_too_long", error.Message, StringComparison.Ordinal);
        Assert.Contains("batch[0].properties", error.Message, StringComparison.Ordinal);

        // In a batch with good events, the server takes those and reports the bad one: 200, one dropped.
        Assert.True(client.Track("user-1", "Note Saved", Properties(("text", "short"))));
        Assert.True(client.Track("user-1", "Note Saved", Properties(("text", tooLong))));
        await client.FlushAsync();

        Assert.Equal(2, proxy.Requests.Count);
        Assert.Equal(200, proxy.Requests[1].Status);
        Assert.Equal(1, client.Stats.Sent);
        Assert.Equal(2, client.Stats.DroppedFor(DropReason.Rejected));
        Assert.Equal(0, client.Stats.Retries);
        Assert.Contains(log.Entries, e => e.EventId.Name == "EventsRejected" && e.Message.Contains("string_too_long", StringComparison.Ordinal));
        Assert.Single(server.LogRecords());
        loggers.Dispose();
    }

    [Fact]
    public async Task An_unknown_write_key_drops_the_batch_at_once_with_the_servers_reason()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        await server.CreateSiteAsync();
        var loggers = Capturing(out var log);
        await using var client = Create(server.Client.BaseAddress!, "wk_not_a_key", loggers: loggers);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(client.Track("user-1", "Item Viewed"));
        }

        await client.FlushAsync();

        Assert.Equal(3, client.Stats.DroppedFor(DropReason.Rejected));
        Assert.Equal(1, client.Stats.Requests);
        Assert.Equal(0, client.Stats.Retries);
        var error = Assert.Single(log.Entries, e => e.EventId.Name == "BatchRejected");
        Assert.Contains("401 (unknown_write_key, field writeKey)", error.Message, StringComparison.Ordinal);
        Assert.Empty(server.LogRecords());
        loggers.Dispose();
    }

    [Fact]
    public async Task A_full_queue_drops_exactly_the_events_past_its_capacity()
    {
        const int Capacity = 50;
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        var loggers = Capturing(out var log);
        // Batches bigger than the queue and no flush by time: nothing leaves until FlushAsync.
        await using var client = Create(server.Client.BaseAddress!, key, o =>
        {
            o.QueueCapacity = Capacity;
            o.MaxBatchEvents = 1000;
        }, loggers);

        var accepted = new List<bool>();
        for (var i = 0; i < 80; i++)
        {
            accepted.Add(client.Track("user-1", "Item Viewed", options: new EventOptions { MessageId = "m-" + i }));
        }

        Assert.Equal(Enumerable.Repeat(true, Capacity).Concat(Enumerable.Repeat(false, 30)), accepted);
        Assert.Equal(Capacity, client.Stats.Enqueued);
        Assert.Equal(30, client.Stats.DroppedFor(DropReason.QueueFull));
        Assert.Equal(30, client.Stats.Dropped);
        Assert.Single(log.Entries, e => e.EventId.Name == "QueueFull");

        await client.FlushAsync();
        var ids = server.LogRecords().Select(r => r.GetProperty("message_id").GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(Enumerable.Range(0, Capacity).Select(i => "m-" + i).Order(StringComparer.Ordinal), ids);

        // Delivered events free their places.
        Assert.True(client.Track("user-1", "Item Viewed"));
        Assert.Equal(30, client.Stats.Dropped);
        loggers.Dispose();
    }

    /// <summary>A site's write key and the address of its server, which is stopped again: its data folder stays for a restart.</summary>
    private async Task<(string Key, string Url)> SiteOnAStoppedServerAsync()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        return (await server.CreateSiteAsync(), server.Client.BaseAddress!.ToString().TrimEnd('/'));
    }
}
