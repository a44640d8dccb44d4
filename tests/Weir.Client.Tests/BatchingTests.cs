using static Weir.Client.Tests.TestClients;

namespace Weir.Client.Tests;

/// <summary>How events are cut into requests, seen by a forwarding proxy between the client and a real server.</summary>
public sealed class BatchingTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Batches_are_cut_at_MaxBatchEvents()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        await using var proxy = await CountingProxy.StartAsync(server.Client.BaseAddress!);
        await using var client = Create(proxy.Address, key, o => o.MaxBatchEvents = 10);

        for (var i = 0; i < 35; i++)
        {
            Assert.True(client.Track("user-" + i, "Item Viewed", Properties(("i", i))));
        }

        // Three full batches go without a flush; the last five wait for it.
        await Eventually.Until(() => client.Stats.Sent == 30, "the three full batches were sent");
        Assert.Equal([10, 10, 10], proxy.Requests.Select(r => r.Events));
        await client.FlushAsync();

        Assert.Equal([10, 10, 10, 5], proxy.Requests.Select(r => r.Events));
        Assert.All(proxy.Requests, r => Assert.Equal(200, r.Status));
        Assert.All(proxy.Requests, r => Assert.Equal("gzip", r.ContentEncoding));
        var records = server.LogRecords();
        Assert.Equal(35, records.Select(r => r.GetProperty("message_id").GetString()).Distinct().Count());
        Assert.Equal(4, client.Stats.Requests);
    }

    [Fact]
    public async Task A_batch_that_is_not_full_goes_once_its_oldest_event_waited_the_flush_interval()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        await using var proxy = await CountingProxy.StartAsync(server.Client.BaseAddress!);
        await using var client = Create(proxy.Address, key, o => o.FlushInterval = TimeSpan.FromMilliseconds(200));

        for (var i = 0; i < 3; i++)
        {
            Assert.True(client.Track("user-1", "Item Viewed", Properties(("i", i))));
        }

        // No flush, no full batch: only the interval sends them.
        await Eventually.Until(() => client.Stats.Sent == 3, "the server acknowledged the three events");
        Assert.Equal(3, server.LogRecords().Count);
        var request = Assert.Single(proxy.Requests);
        Assert.Equal(3, request.Events);
    }

    [Fact]
    public async Task Batches_stay_under_the_servers_500_KB_limit()
    {
        const int Events = 60;
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        await using var proxy = await CountingProxy.StartAsync(server.Client.BaseAddress!);
        await using var client = Create(proxy.Address, key, o => o.MaxBatchEvents = 1000);

        // About 20 KB each (in strings under the server's 8 192-byte limit): 25 fit in 500 KB, so 60 make three
        // requests, the first two as full as they can be.
        var text = new string('x', 5_000);
        for (var i = 0; i < Events; i++)
        {
            Assert.True(client.Track("user-1", "Document Saved", Properties(("a", text), ("b", text), ("c", text), ("d", text), ("i", i))));
        }

        await client.FlushAsync();

        var requests = proxy.Requests;
        Assert.Equal([25, 25, 10], requests.Select(r => r.Events));
        Assert.All(requests, r => Assert.InRange(r.BodyBytes, 1, 512_000));
        Assert.All(requests, r => Assert.Equal(200, r.Status));
        var eventBytes = requests[0].BodyBytes / 25;
        Assert.True(requests[0].BodyBytes + eventBytes > 512_000, "a full batch had room for one more event");
        Assert.Equal(Events, server.LogRecords().Count);
    }

    [Fact]
    public async Task Events_over_32_KB_are_dropped_and_counted_without_being_sent()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        await using var proxy = await CountingProxy.StartAsync(server.Client.BaseAddress!);
        var loggers = Capturing(out var log);
        await using var client = Create(proxy.Address, key, loggers: loggers);

        // Five 6 400-byte strings make a 32.2 KB event, six a 38.6 KB one.
        var text = new string('x', 6_400);
        Assert.False(client.Track("user-1", "Document Saved", Properties(("a", text), ("b", text), ("c", text), ("d", text), ("e", text), ("f", text))));
        Assert.True(client.Track("user-1", "Document Saved", Properties(("a", text), ("b", text), ("c", text), ("d", text), ("e", text))));
        await client.FlushAsync();

        Assert.Equal(1, client.Stats.DroppedFor(DropReason.TooLarge));
        Assert.Equal(1, client.Stats.Enqueued);
        Assert.Equal(1, client.Stats.Sent);
        var request = Assert.Single(proxy.Requests);
        Assert.Equal(1, request.Events);
        Assert.Equal(200, request.Status);
        Assert.Single(server.LogRecords());
        Assert.Single(log.Entries, e => e.EventId.Name == "EventTooLarge");
        loggers.Dispose();
    }
}
