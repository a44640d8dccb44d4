using System.Globalization;
using Weir.Core.Events;
using Weir.Lake;
using Weir.Log;
using Weir.Server;

namespace Weir.Cli.Tests;

public sealed class LakeCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Compact_merges_the_small_files_and_replay_rebuilds_the_same_rows()
    {
        await WriteEventsAsync(flushes: 4, perFlush: 250);
        var (before, filesBefore) = await CountAsync();
        Assert.Equal(4, filesBefore);

        var compact = await CliRun.RunAsync("compact", "--data", _temp.Path);
        Assert.Equal(0, compact.ExitCode);
        Assert.Contains("Compacted 1 partitions: 4 files into 1", compact.Output, StringComparison.Ordinal);
        Assert.Equal((before, 1), await CountAsync());

        var replay = await CliRun.RunAsync("replay", "--data", _temp.Path);
        Assert.Equal(0, replay.ExitCode);
        Assert.Contains("Replayed 1,000 records into 1,000 rows in 1 files", replay.Output, StringComparison.Ordinal);
        Assert.Equal((before, 1), await CountAsync());
    }

    [Fact]
    public async Task Replay_refuses_while_the_server_holds_the_data_folder()
    {
        await using var log = DurableLog.Open(new LogOptions { Directory = Path.Combine(_temp.Path, WeirServer.LogDirectoryName) });

        var replay = await CliRun.RunAsync("replay", "--data", _temp.Path);

        Assert.Equal(1, replay.ExitCode);
        Assert.Contains("is in use by a running server; stop it first", replay.Error, StringComparison.Ordinal);
    }

    public void Dispose() => _temp.Dispose();

    private async Task WriteEventsAsync(int flushes, int perFlush)
    {
        var log = DurableLog.Open(new LogOptions
        {
            Directory = Path.Combine(_temp.Path, WeirServer.LogDirectoryName),
            ArchiveDirectory = Path.Combine(_temp.Path, WeirServer.RawDirectoryName),
        });
        await using (log)
        {
            var lake = Lake.Lake.Open(new LakeOptions { DataDirectory = _temp.Path, BackgroundMaintenance = false }, log);
            await using (lake)
            {
                lake.Start();
                var day = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
                for (var f = 0; f < flushes; f++)
                {
                    for (var i = 0; i < perFlush; i++)
                    {
                        var n = (f * perFlush) + i;
                        await log.AppendAsync(CanonicalEventWriter.ToUtf8(new CanonicalEvent
                        {
                            MessageId = "m-" + n.ToString(CultureInfo.InvariantCulture),
                            SiteId = "site-a",
                            Protocol = EventProtocol.Segment,
                            Type = EventType.Track,
                            Event = "Signup",
                            Timestamp = day.AddSeconds(n),
                            ReceivedAt = day.AddDays(1).AddSeconds(n),
                        }));
                    }

                    await lake.WhenLoadedAsync(log.CommittedPosition);
                    await lake.FlushAsync();
                }
            }
        }
    }

    private async Task<(long Events, int Files)> CountAsync()
    {
        var log = DurableLog.Open(new LogOptions { Directory = Path.Combine(_temp.Path, WeirServer.LogDirectoryName) });
        await using (log)
        {
            var lake = Lake.Lake.Open(new LakeOptions { DataDirectory = _temp.Path, BackgroundMaintenance = false }, log);
            await using (lake)
            {
                using var connection = lake.Connect();
                return (Convert.ToInt64(connection.ExecuteScalar("SELECT count(DISTINCT message_id) FROM events"), CultureInfo.InvariantCulture), lake.Catalog.Files.Count);
            }
        }
    }
}
