using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
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

    [Fact]
    public async Task An_ASP_NET_Core_app_tracks_from_its_endpoints_and_delivers_when_it_stops()
    {
        const string Firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";
        await using var server = await RunningServer.StartAsync(_data.Path);
        var key = await server.CreateSiteAsync();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddRoutingCore();
        builder.Services.AddWeirClient(o =>
        {
            o.Endpoint = server.Client.BaseAddress;
            o.WriteKey = key;
            o.FlushInterval = TimeSpan.FromHours(1);
        });
        await using var app = builder.Build();
        // As in the client's README: the client comes from the container, the end user's address and browser from the request.
        app.MapPost("/orders/{id}", (string id, HttpContext http, IWeirClient weir) =>
        {
            weir.Track("user-1", "Order Completed", Properties(("orderId", id)), new EventOptions
            {
                Ip = http.Connection.RemoteIpAddress?.ToString(),
                UserAgent = http.Request.Headers.UserAgent,
            });
            return Results.Accepted();
        });
        await app.StartAsync();

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using (var browser = new HttpClient { BaseAddress = new Uri(address) })
        {
            browser.DefaultRequestHeaders.UserAgent.ParseAdd(Firefox);
            for (var i = 0; i < 5; i++)
            {
                (await browser.PostAsync(new Uri($"/orders/o-{i}", UriKind.Relative), null)).EnsureSuccessStatusCode();
            }
        }

        Assert.Empty(server.LogRecords());
        await app.StopAsync();

        var records = server.LogRecords();
        Assert.Equal(["o-0", "o-1", "o-2", "o-3", "o-4"], records.Select(r => r.GetProperty("properties").GetProperty("orderId").GetString()).Order(StringComparer.Ordinal));
        Assert.All(records, r => Assert.Equal("127.0.0.1", r.GetProperty("ip").GetString()));
        Assert.All(records, r => Assert.Equal(Firefox, r.GetProperty("user_agent").GetString()));
    }
}
