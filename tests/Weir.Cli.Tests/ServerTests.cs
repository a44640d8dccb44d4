using System.Net;
using Microsoft.Extensions.Logging;
using Weir.Core.Configuration;
using Weir.Server;

namespace Weir.Cli.Tests;

public sealed class ServerTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly CapturingLoggerProvider _logs = new();

    public void Dispose() => _temp.Dispose();

    private WeirServer CreateServer(string dataDirectory, WeirLogLevel level = WeirLogLevel.Information) => new(
        new WeirOptions
        {
            DataDirectory = dataDirectory,
            Http = new HttpOptions { Urls = ["http://127.0.0.1:0"] },
            Logging = new LoggingOptions { Level = level },
        },
        logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(_logs);
        });

    [Fact]
    public async Task Healthz_answers_200_with_status_ok_over_loopback()
    {
        await using var server = CreateServer(_temp.Path);
        var address = Assert.Single(await server.StartAsync());
        using var client = new HttpClient { BaseAddress = address };

        using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"status":"ok"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Started_server_reports_the_port_it_was_given_instead_of_port_zero()
    {
        await using var server = CreateServer(_temp.Path);

        var address = Assert.Single(await server.StartAsync());

        Assert.Equal("127.0.0.1", address.Host);
        Assert.NotEqual(0, address.Port);
        Assert.Equal(address, Assert.Single(server.Addresses));
    }

    [Fact]
    public async Task Server_creates_its_data_folder()
    {
        var folder = _temp.Combine("not", "yet");

        await using var server = CreateServer(folder);

        Assert.True(Directory.Exists(folder));
    }

    [Fact]
    public async Task Start_and_stop_are_logged_with_stable_event_ids_the_address_and_the_data_folder()
    {
        await using var server = CreateServer(_temp.Path);
        var address = Assert.Single(await server.StartAsync());
        await server.StopAsync();

        // The event log opens (and recovers) before the server listens.
        var weir = _logs.Entries.Where(e => e.Category == "Weir.Server").ToArray();
        Assert.Equal([2001, 1001, 1002, 1003], weir.Select(e => e.EventId.Id));
        Assert.Equal(["EventLogOpened", "ServerStarted", "ServerStopping", "ServerStopped"], weir.Select(e => e.EventId.Name));
        Assert.Contains(Path.Combine(_temp.Path, "log"), weir[0].Message, StringComparison.Ordinal);
        Assert.Contains(address.ToString(), weir[1].Message, StringComparison.Ordinal);
        Assert.Contains(_temp.Path, weir[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Framework_request_logs_stay_quiet_at_information_but_appear_at_debug()
    {
        foreach (var (level, expectRequestLogs) in new[] { (WeirLogLevel.Information, false), (WeirLogLevel.Debug, true) })
        {
            var logs = new CapturingLoggerProvider();
            await using var server = new WeirServer(
                new WeirOptions
                {
                    DataDirectory = _temp.Path,
                    Http = new HttpOptions { Urls = ["http://127.0.0.1:0"] },
                    Logging = new LoggingOptions { Level = level },
                },
                logging => logging.ClearProviders().AddProvider(logs));
            using var client = new HttpClient { BaseAddress = Assert.Single(await server.StartAsync()) };
            (await client.GetAsync(new Uri("/healthz", UriKind.Relative))).Dispose();
            await server.StopAsync();

            var requestLogged = logs.Entries.Any(e => e.Category.StartsWith("Microsoft.AspNetCore.Hosting", StringComparison.Ordinal));
            Assert.True(requestLogged == expectRequestLogs, $"At {level}, request logs were {(requestLogged ? "" : "not ")}written");
        }
    }

    [Fact]
    public async Task Second_server_on_a_port_in_use_fails_to_start_with_an_io_error()
    {
        await using var first = CreateServer(_temp.Path);
        var address = Assert.Single(await first.StartAsync());
        // Its own data folder: the first server holds the event log of its folder.
        await using var second = new WeirServer(
            new WeirOptions { DataDirectory = _temp.Combine("second"), Http = new HttpOptions { Urls = [$"http://127.0.0.1:{address.Port}"] } },
            logging => logging.ClearProviders());

        var exception = await Assert.ThrowsAnyAsync<IOException>(() => second.StartAsync());

        Assert.Contains(address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), exception.Message, StringComparison.Ordinal);
    }
}
