using Weir.Lake;
using Weir.Log;
using Weir.Server;

namespace Weir.Cli.Tests;

public sealed class DemoCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Demo_fills_the_lake_and_prints_the_site_id()
    {
        var demo = await CliRun.RunAsync("demo", "--events", "5000", "--seed", "3", "--data", _temp.Path);

        Assert.Equal(0, demo.ExitCode);
        Assert.Contains("Demo site demo.example (Europe/Berlin): id ", demo.Output, StringComparison.Ordinal);
        Assert.Contains("Generated 5,000 events", demo.Output, StringComparison.Ordinal);

        var lake = Lake.Lake.Open(new LakeOptions { DataDirectory = _temp.Path, BackgroundMaintenance = false }, log: null);
        await using (lake)
        {
            using var connection = lake.Connect();
            using var result = connection.Query("SELECT count(DISTINCT message_id) FROM events");
            using var chunk = result.NextChunk()!;
            Assert.Equal(5000, chunk.GetVector(0).GetInt64(0));
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    public async Task Demo_refuses_a_count_below_one(string events)
    {
        var demo = await CliRun.RunAsync("demo", $"--events={events}", "--data", _temp.Path);

        Assert.Equal(2, demo.ExitCode);
        Assert.Contains("--events must be at least 1", demo.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_refuses_while_the_server_holds_the_data_folder()
    {
        await using var log = DurableLog.Open(new LogOptions { Directory = Path.Combine(_temp.Path, WeirServer.LogDirectoryName) });

        var demo = await CliRun.RunAsync("demo", "--events", "10", "--data", _temp.Path);

        Assert.Equal(1, demo.ExitCode);
        Assert.Contains("is in use by a running server; stop it first", demo.Error, StringComparison.Ordinal);
    }

    public void Dispose() => _temp.Dispose();
}
