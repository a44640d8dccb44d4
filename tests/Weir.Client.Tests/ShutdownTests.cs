using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Weir.Client.Tests.TestClients;

namespace Weir.Client.Tests;

/// <summary>What happens to queued events when the client or its host stops.</summary>
public sealed class ShutdownTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Disposing_the_client_delivers_everything_queued()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        var client = Create(server.Client.BaseAddress!, key);
        for (var i = 0; i < 250; i++)
        {
            Assert.True(client.Track("user-" + i, "Item Viewed"));
        }

        await client.DisposeAsync();

        Assert.Equal(250, server.LogRecords().Count);
        Assert.Equal(250, client.Stats.Sent);
        Assert.False(client.Track("user-1", "Too Late"));
        Assert.Equal(1, client.Stats.DroppedFor(DropReason.Shutdown));
    }

    [Fact]
    public async Task The_blocking_Dispose_delivers_everything_queued()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        var client = Create(server.Client.BaseAddress!, key);
        for (var i = 0; i < 30; i++)
        {
            Assert.True(client.Identify("user-" + i, Properties(("n", i))));
        }

        client.Dispose();

        Assert.Equal(30, server.LogRecords().Count);
        Assert.Equal(0, client.Pending);
    }

    [Fact]
    public async Task Dispose_gives_up_after_its_timeout_and_counts_what_it_dropped()
    {
        var loggers = Capturing(out var log);
        var client = Create(new Uri("http://127.0.0.1:" + UnusedPort()), "wk_nowhere", o =>
        {
            o.MaxRetries = 1000;
            o.DisposeTimeout = TimeSpan.FromMilliseconds(300);
        }, loggers);
        for (var i = 0; i < 40; i++)
        {
            Assert.True(client.Track("user-1", "Item Viewed"));
        }

        await client.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(40, client.Stats.DroppedFor(DropReason.Shutdown));
        Assert.Equal(0, client.Stats.Sent);
        Assert.Equal(0, client.Pending);
        Assert.Contains(log.Entries, e => e.EventId.Name == "UndeliveredAtShutdown" && e.Message.StartsWith("40 events", StringComparison.Ordinal));
        // A flush after the end has nothing to wait for.
        Assert.True(client.FlushAsync().IsCompleted);
        loggers.Dispose();
    }

    [Fact]
    public async Task The_hosted_service_flushes_when_the_host_stops()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddWeirClient(o =>
        {
            o.Endpoint = server.Client.BaseAddress;
            o.WriteKey = key;
            o.FlushInterval = TimeSpan.FromHours(1);
        });
        using var host = builder.Build();
        await host.StartAsync();

        var client = host.Services.GetRequiredService<IWeirClient>();
        Assert.Same(host.Services.GetRequiredService<WeirClient>(), client);
        for (var i = 0; i < 20; i++)
        {
            Assert.True(client.Track("user-" + i, "Item Viewed"));
        }

        Assert.Empty(server.LogRecords());
        await host.StopAsync();

        // Stopped, not yet disposed: the events went out with the host's stop.
        Assert.Equal(20, server.LogRecords().Count);
        Assert.Equal(20, client.Stats.Sent);
    }
}
