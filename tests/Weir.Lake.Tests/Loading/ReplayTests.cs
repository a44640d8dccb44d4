namespace Weir.Lake.Tests.Loading;

public sealed class ReplayTests
{
    private const string AllColumns =
        "message_id, site_id, CAST(event_date AS VARCHAR), CAST(\"timestamp\" AS VARCHAR), CAST(received_at AS VARCHAR), coalesce(user_id, ''), coalesce(anonymous_id, ''), coalesce(event, ''), coalesce(path, ''), coalesce(CAST(properties AS VARCHAR), '')";

    [Fact]
    public async Task Replay_rebuilds_the_same_rows_from_the_raw_zone_and_the_log()
    {
        await using var lake = new LakeFixture(o => o with { FlushRows = 1_500 });
        lake.Lake.Start();
        var random = new Random(11);
        var events = new List<Core.Events.CanonicalEvent>();
        for (var i = 0; i < 8_000; i++)
        {
            // Late events over five days, and copies of earlier events: some within the window, some far later.
            var id = i % 10 == 9 ? random.Next(i) : i;
            events.Add(LakeFixture.Event(id, site: id % 4 == 0 ? "site-b" : "site-a", timestamp: LakeFixture.Day0.AddMinutes((id * 7919) % (5 * 1440)),
                received: LakeFixture.Day0.AddDays(6).AddSeconds(i * (i % 10 == 9 && i % 20 == 19 ? 200 : 1))));
        }

        await lake.LoadAsync(events);
        await lake.Lake.FlushAsync();
        await lake.Log.RunRetentionAsync();
        await lake.Lake.CompactAsync();
        Assert.True(lake.Log.StartPosition > 0, "no segment reached the raw zone, so replay would not read it");
        var before = lake.Strings($"SELECT concat_ws('|', {AllColumns}) FROM events ORDER BY 1");

        await lake.Lake.DisposeAsync();
        var result = await Lake.ReplayAsync(lake.Options, lake.Log);
        Assert.Equal(events.Count, result.Records);
        Assert.Equal(before.Count, result.Rows);

        await lake.RestartAsync();
        Assert.Equal(result.Watermark, lake.Lake.Catalog.Watermark);
        var after = lake.Strings($"SELECT concat_ws('|', {AllColumns}) FROM events ORDER BY 1");
        Assert.Equal(before, after);
        Assert.Equal(lake.Log.CommittedPosition, lake.Log.GetCheckpoint("lake"));
        Assert.False(Directory.Exists(Path.Combine(lake.DataDirectory, "lake.replay")));
    }
}
