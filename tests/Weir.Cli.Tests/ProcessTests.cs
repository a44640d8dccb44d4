using System.Diagnostics;
using System.Text.Json;
using Weir.Core.Configuration;

namespace Weir.Cli.Tests;

/// <summary>
/// Runs the built <c>weir</c> as a child process (<c>dotnet weir.dll</c>, copied next to the tests), for what only a
/// real process shows: its exit code, its console log and its handling of SIGTERM. Linux and macOS only, as it sends
/// SIGTERM with kill(1).
/// </summary>
public sealed class ProcessTests : IDisposable
{
    /// <summary>An upper bound, so that a broken server fails the test instead of hanging it; not a wait.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static Process StartWeir(params string[] args)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "weir.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The child sees only what the test gives it.
        foreach (var name in WeirEnvironment.FromProcess().Keys)
        {
            info.Environment.Remove(name);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
    }

    [Fact]
    public async Task Serve_with_an_invalid_option_exits_2_naming_it_without_a_stack_trace()
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var weir = StartWeir("serve", "--data", _temp.Path, "--log-format", "xml");

        var error = await weir.StandardError.ReadToEndAsync(timeout.Token);
        var output = await weir.StandardOutput.ReadToEndAsync(timeout.Token);
        await weir.WaitForExitAsync(timeout.Token);

        Assert.Equal(2, weir.ExitCode);
        Assert.Equal("weir: --log-format: 'xml' is not one of text, json", error.Trim());
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Query_writes_csv_to_stdout_and_sql_errors_exit_1()
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var good = StartWeir("query", "SELECT 'x,y' AS a, NULL AS b", "--format", "csv", "--data", _temp.Path);
        var output = await good.StandardOutput.ReadToEndAsync(timeout.Token);
        await good.WaitForExitAsync(timeout.Token);

        using var bad = StartWeir("query", "SELECT nope", "--data", _temp.Path);
        var error = await bad.StandardError.ReadToEndAsync(timeout.Token);
        await bad.WaitForExitAsync(timeout.Token);

        Assert.Equal(0, good.ExitCode);
        Assert.Equal("a,b\r\n\"x,y\",\r\n", output);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("Binder Error: Referenced column \"nope\" was not found", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_logs_json_lines_answers_healthz_and_stops_gracefully_on_sigterm()
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var weir = StartWeir("serve", "--data", _temp.Path, "--urls", "http://127.0.0.1:0", "--log-format", "json");
        var lines = new List<JsonElement>();
        try
        {
            // Read log lines until the server says where it listens.
            string? url = null;
            while (url is null && await weir.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                var entry = JsonDocument.Parse(line).RootElement.Clone();
                lines.Add(entry);
                if (entry.GetProperty("EventId").GetInt32() == 1001)
                {
                    url = entry.GetProperty("State").GetProperty("Urls").GetString();
                }
            }

            Assert.NotNull(url);
            using var client = new HttpClient();
            var body = await client.GetStringAsync(new Uri(new Uri(url), "/healthz"), timeout.Token);
            Assert.Equal("""{"status":"ok"}""", body);

            using (var kill = Process.Start("kill", ["-TERM", weir.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(timeout.Token);
            }

            while (await weir.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(JsonDocument.Parse(line).RootElement.Clone());
            }

            await weir.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!weir.HasExited)
            {
                weir.Kill();
            }
        }

        Assert.Equal(0, weir.ExitCode);
        var weirEvents = lines.Where(l => l.GetProperty("Category").GetString() == "Weir.Server").ToArray();
        Assert.Equal([2001, 1001, 1002, 1003], weirEvents.Select(l => l.GetProperty("EventId").GetInt32()));
        Assert.All(lines, l => Assert.Equal("Information", l.GetProperty("LogLevel").GetString()));
        Assert.Equal(_temp.Path, weirEvents[1].GetProperty("State").GetProperty("DataDirectory").GetString());
    }
}
