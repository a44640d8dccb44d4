using System.Globalization;
using Weir.Core.Events;

namespace Weir.Lake.Tests.Loading;

/// <summary>The lake's core promise: late, shuffled, duplicated events end up exactly once, on their day, in time order.</summary>
public sealed class LateEventsTests
{
    [Fact]
    public async Task A_million_shuffled_late_and_duplicated_events_end_up_once_each_on_their_day_sorted_after_compaction()
    {
        const int Unique = 1_000_000;
        const int Days = 60;
        // Half the copies come within the hour (the loader's window drops them), half hours later (past the one-hour
        // window used here, so they reach the files and compaction must drop them).
        await using var lake = new LakeFixture(o => o with { FlushRows = 150_000, DedupWindow = TimeSpan.FromHours(1) });
        var random = new Random(20261122);
        var start = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var arrivals = new List<(int Id, bool Copy)>(Unique + (Unique / 20));
        for (var i = 0; i < Unique; i++)
        {
            arrivals.Add((i, false));
        }

        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(arrivals));
        var copies = new List<(int Index, int Id)>();
        for (var n = 0; n < Unique / 20; n++)
        {
            var original = random.Next(Unique);
            copies.Add((original, arrivals[original].Id));
        }

        // Each copy arrives some time after its original: soon for half of them, far later for the others.
        var order = new List<(int Id, bool Copy, long Slot)>(arrivals.Count + copies.Count);
        for (var i = 0; i < arrivals.Count; i++)
        {
            order.Add((arrivals[i].Id, false, (long)i * 1000));
        }

        for (var n = 0; n < copies.Count; n++)
        {
            var delay = n % 2 == 0 ? random.Next(1, 50) : random.Next(200_000, 400_000);
            order.Add((copies[n].Id, true, ((long)copies[n].Index + delay) * 1000 + 1));
        }

        order.Sort((a, b) => a.Slot.CompareTo(b.Slot));
        var timestamps = new long[Unique];
        for (var i = 0; i < Unique; i++)
        {
            timestamps[i] = start.AddSeconds(random.NextDouble() * Days * 86_400).UtcTicks;
        }

        lake.Lake.Start();
        var arrival0 = start.AddDays(Days);
        var position = 0;
        var payloads = new List<ReadOnlyMemory<byte>>();
        while (position < order.Count)
        {
            // Bursts of 1 to 5 000 events, each burst one durable batch.
            var burst = Math.Min(order.Count - position, random.Next(1, 5_000));
            payloads.Clear();
            for (var k = 0; k < burst; k++)
            {
                var (id, _, slot) = order[position + k];
                // One second of arrival per 1 000 slots: copies more than 200 000 slots late arrive ~55 hours later.
                var received = arrival0.AddMilliseconds(slot / 1000.0 * 1000);
                payloads.Add(CanonicalEventWriter.ToUtf8(new CanonicalEvent
                {
                    MessageId = "m-" + id.ToString("D7", CultureInfo.InvariantCulture),
                    SiteId = id % 5 == 0 ? "site-b" : "site-a",
                    Protocol = EventProtocol.Segment,
                    Type = EventType.Page,
                    AnonymousId = "v-" + (id % 10_007).ToString(CultureInfo.InvariantCulture),
                    Timestamp = new DateTimeOffset(timestamps[id], TimeSpan.Zero),
                    ReceivedAt = received,
                    Path = "/p/" + (id % 50).ToString(CultureInfo.InvariantCulture),
                }));
            }

            await lake.Log.AppendBatchAsync(payloads.ToArray());
            position += burst;
        }

        await lake.Lake.WhenLoadedAsync(lake.Log.CommittedPosition);
        await lake.Lake.FlushAsync();
        Assert.True(lake.Lake.Counters.Duplicates > 0, "the loader's window dropped no copy");
        Assert.True(lake.Count() > Unique, "no copy got past the loader's window, so compaction was not tested");
        var filesBefore = lake.Lake.Catalog.Files.Count;

        var summary = await lake.Lake.CompactAsync();

        Assert.Equal(Unique, lake.Count());
        Assert.True(summary.DuplicatesDropped > 0);
        Assert.True(lake.Lake.Catalog.Files.Count < filesBefore);
        Assert.Equal(Unique, lake.Count("SELECT count(DISTINCT message_id) FROM events"));

        var expected = new Dictionary<(string, DateOnly), long>();
        for (var id = 0; id < Unique; id++)
        {
            var key = (id % 5 == 0 ? "site-b" : "site-a", DateOnly.FromDateTime(new DateTime(timestamps[id], DateTimeKind.Utc)));
            expected[key] = expected.GetValueOrDefault(key) + 1;
        }

        Assert.Equal(expected.Count, lake.Lake.Catalog.Partitions.Count);
        foreach (var partition in lake.Lake.Catalog.Partitions)
        {
            var files = lake.Lake.Catalog.FilesOf(partition.SiteId, partition.EventDate);
            var file = Assert.Single(files);
            Assert.Equal(expected[(partition.SiteId, partition.EventDate)], file.Rows);
            var path = lake.Lake.Layout.Absolute(file.Path);
            var day = partition.EventDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            Assert.Equal(0, lake.Count($"SELECT count(*) FROM read_parquet('{path}') WHERE CAST(timezone('UTC', \"timestamp\") AS DATE) <> DATE '{day}'"));
            Assert.Equal(file.Rows, lake.Count($"SELECT count(DISTINCT message_id) FROM read_parquet('{path}')"));
            Assert.Equal(0, lake.Count($"SELECT count(*) FROM (SELECT \"timestamp\" < lag(\"timestamp\") OVER () AS backwards FROM read_parquet('{path}')) WHERE backwards"));
        }
    }

    [Fact]
    public async Task Queries_running_while_compaction_swaps_files_always_see_the_same_count()
    {
        await using var lake = new LakeFixture(o => o with { FlushRows = 2_000, ReadBatch = 500 });
        lake.Lake.Start();
        var events = Enumerable.Range(0, 40_000).Select(i => LakeFixture.Event(i, timestamp: LakeFixture.Day0.AddDays(i % 4).AddSeconds(i))).ToList();
        await lake.LoadAsync(events);
        await lake.Lake.FlushAsync();
        Assert.True(lake.Lake.Catalog.Files.Count >= 40);

        using var stop = new CancellationTokenSource();
        var counts = new List<long>();
        var reader = Task.Run(() =>
        {
            using var connection = lake.Lake.Connect();
            while (!stop.IsCancellationRequested || counts.Count < 5)
            {
                counts.Add(Convert.ToInt64(connection.ExecuteScalar("SELECT count(*) FROM events"), CultureInfo.InvariantCulture));
            }
        });

        var summary = await lake.Lake.CompactAsync();
        await stop.CancelAsync();
        await reader;

        Assert.Equal(4, summary.Partitions);
        Assert.Equal(4, lake.Lake.Catalog.Files.Count);
        Assert.All(counts, c => Assert.Equal(40_000, c));
    }
}
