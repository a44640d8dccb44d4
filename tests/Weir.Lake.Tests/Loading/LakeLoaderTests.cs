using System.Text;
using Weir.Core.Events;
using Weir.Lake.Hot;

namespace Weir.Lake.Tests.Loading;

public sealed class LakeLoaderTests
{
    [Fact]
    public async Task Loaded_events_are_queryable_before_and_after_the_flush()
    {
        await using var lake = new LakeFixture();
        lake.Lake.Start();
        var events = Enumerable.Range(0, 300)
            .Select(i => LakeFixture.Event(i, site: i % 2 == 0 ? "site-a" : "site-b", timestamp: LakeFixture.Day0.AddDays(i % 3).AddMinutes(i)))
            .ToList();

        await lake.LoadAsync(events);
        Assert.Equal(300, lake.Count());
        Assert.Equal(300, lake.Lake.HotRows);
        Assert.Empty(lake.Lake.Catalog.Files);

        Assert.Equal(300, await lake.Lake.FlushAsync());
        Assert.Equal(300, lake.Count());
        Assert.Equal(0, lake.Lake.HotRows);
        // Two sites × three days: one file per partition, the watermark at the end of the log, the checkpoint with it.
        Assert.Equal(6, lake.Lake.Catalog.Files.Count);
        Assert.Equal(lake.Log.CommittedPosition, lake.Lake.Catalog.Watermark);
        Assert.Equal(lake.Log.CommittedPosition, lake.Log.GetCheckpoint("lake"));
        Assert.Equal(150, lake.Count("SELECT count(*) FROM events WHERE site_id = 'site-a'"));
        Assert.Equal(100, lake.Count($"SELECT count(*) FROM events WHERE event_date = DATE '{LakeFixture.Day0.AddDays(1):yyyy-MM-dd}'"));
        foreach (var file in lake.Lake.Catalog.Files)
        {
            Assert.Equal(50, file.Rows);
            Assert.True(File.Exists(lake.Lake.Layout.Absolute(file.Path)));
            Assert.Equal(file.EventDate, DateOnly.FromDateTime(file.MinTimestamp.UtcDateTime));
            Assert.Equal(file.EventDate, DateOnly.FromDateTime(file.MaxTimestamp.UtcDateTime));
        }
    }

    [Fact]
    public async Task The_view_unions_files_and_hot_rows_without_counting_any_twice()
    {
        await using var lake = new LakeFixture();
        lake.Lake.Start();
        await lake.LoadAsync(Enumerable.Range(0, 100).Select(i => LakeFixture.Event(i)));
        await lake.Lake.FlushAsync();
        await lake.LoadAsync(Enumerable.Range(100, 40).Select(i => LakeFixture.Event(i)));

        Assert.Equal(140, lake.Count());
        Assert.Equal(140, lake.Count("SELECT count(DISTINCT message_id) FROM events"));
        Assert.Equal(40, lake.Lake.HotRows);
    }

    [Fact]
    public async Task A_message_id_seen_within_the_window_is_dropped_even_after_a_restart()
    {
        await using var lake = new LakeFixture();
        lake.Lake.Start();
        var first = LakeFixture.Event(1, received: LakeFixture.Day0);
        await lake.LoadAsync([first, LakeFixture.Event(1, received: LakeFixture.Day0.AddHours(1))]);
        Assert.Equal(1, lake.Count());
        Assert.Equal(1, lake.Lake.Counters.Duplicates);

        await lake.RestartAsync();
        // Six days later: still inside the default seven-day window, although the first copy is only in a file now.
        await lake.LoadAsync([LakeFixture.Event(1, received: LakeFixture.Day0.AddDays(6))]);
        Assert.Equal(1, lake.Count());
        Assert.Equal(1, lake.Lake.Counters.Duplicates);

        // Eight days after the first copy: a new event that happens to reuse the id.
        await lake.LoadAsync([LakeFixture.Event(1, received: LakeFixture.Day0.AddDays(8), name: "Later")]);
        Assert.Equal(2, lake.Count());
    }

    [Fact]
    public async Task The_same_message_id_on_two_sites_is_two_events()
    {
        await using var lake = new LakeFixture();
        lake.Lake.Start();
        await lake.LoadAsync([LakeFixture.Event(1, site: "site-a", messageId: "same"), LakeFixture.Event(2, site: "site-b", messageId: "same")]);
        Assert.Equal(2, lake.Count());
    }

    [Fact]
    public async Task A_restart_without_a_flush_loads_the_hot_rows_again_from_the_log()
    {
        await using var lake = new LakeFixture();
        lake.Lake.Start();
        await lake.LoadAsync(Enumerable.Range(0, 50).Select(i => LakeFixture.Event(i)));
        await lake.Lake.FlushAsync();
        var afterFlush = lake.Lake.Catalog.Watermark;
        await lake.LoadAsync(Enumerable.Range(50, 30).Select(i => LakeFixture.Event(i)));

        // Open a second lake on the same folder as a crashed process's successor would: the catalog says 50 rows are in
        // files, and the 30 others are read from the log again.
        await using (var successor = Lake.Open(lake.Options with { }, null))
        {
            Assert.Equal(afterFlush, successor.Catalog.Watermark);
            using var connection = successor.Connect();
            Assert.Equal(50L, Convert.ToInt64(connection.ExecuteScalar("SELECT count(*) FROM events"), System.Globalization.CultureInfo.InvariantCulture));
        }

        await lake.RestartAsync();
        await lake.Lake.WhenLoadedAsync(lake.Log.CommittedPosition);
        Assert.Equal(80, lake.Count());
        Assert.Equal(80, lake.Count("SELECT count(DISTINCT message_id) FROM events"));
    }

    [Fact]
    public async Task Records_that_cannot_be_loaded_are_skipped_and_counted_and_the_rest_load()
    {
        await using var lake = new LakeFixture();
        lake.Lake.Start();
        await lake.AppendAsync([LakeFixture.Event(1)]);
        await lake.AppendRawAsync("{\"not\":\"a canonical event\"}"u8.ToArray());
        await lake.AppendRawAsync("not json at all"u8.ToArray());
        var end = await lake.AppendAsync([LakeFixture.Event(2)]);
        await lake.Lake.WhenLoadedAsync(end);

        Assert.Equal(2, lake.Count());
        Assert.Equal(2, lake.Lake.Counters.Rejected);
        await lake.Lake.FlushAsync();
        Assert.Equal(end, lake.Lake.Catalog.Watermark);
    }

    [Fact]
    public async Task Erased_records_in_the_log_are_skipped()
    {
        await using var lake = new LakeFixture();
        lake.Lake.Start();
        var end = await lake.AppendRawAsync(Encoding.ASCII.GetBytes(new string(' ', 120)));
        end = await lake.AppendAsync([LakeFixture.Event(1)]);
        await lake.Lake.WhenLoadedAsync(end);
        Assert.Equal(1, lake.Count());
        Assert.Equal(1, lake.Lake.Counters.Erased);
        Assert.Equal(0, lake.Lake.Counters.Rejected);
    }

    [Fact]
    public async Task Reaching_the_row_threshold_flushes_on_its_own()
    {
        await using var lake = new LakeFixture(o => o with { FlushRows = 40, ReadBatch = 16 });
        lake.Lake.Start();
        await lake.LoadAsync(Enumerable.Range(0, 130).Select(i => LakeFixture.Event(i)));

        // A flush starts once a batch takes the hot rows to 40 or more, so each file holds 40 to 55 rows.
        Assert.True(lake.Lake.Catalog.Files.Count >= 2, $"{lake.Lake.Catalog.Files.Count} files");
        Assert.All(lake.Lake.Catalog.Files, f => Assert.InRange(f.Rows, 40, 55));
        Assert.Equal(130, lake.Count());
        Assert.True(lake.Lake.HotRows < 40);
        Assert.Equal(lake.Lake.Catalog.Watermark, lake.Log.GetCheckpoint("lake"));
    }

    [Fact]
    public async Task Hot_rows_older_than_the_flush_age_are_flushed_without_a_request()
    {
        await using var lake = new LakeFixture(o => o with { FlushAge = TimeSpan.FromMilliseconds(100) });
        // The events may be loaded in more than one batch, each flushed when it is old enough: wait for the last.
        var target = long.MaxValue;
        var committed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lake.Lake.Committed += snapshot =>
        {
            if (snapshot.Files.Count > 0 && snapshot.Watermark >= Volatile.Read(ref target))
            {
                committed.TrySetResult();
            }
        };
        lake.Lake.Start();
        var end = await lake.AppendAsync(Enumerable.Range(0, 10).Select(i => LakeFixture.Event(i)));
        Volatile.Write(ref target, end);
        if (lake.Lake.Catalog.Watermark >= end)
        {
            committed.TrySetResult();
        }

        await committed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(end, lake.Lake.Catalog.Watermark);
        Assert.Equal(10, lake.Lake.Catalog.Files.Sum(f => f.Rows));
    }

    [Fact]
    public async Task Shutdown_flushes_what_is_hot()
    {
        await using var lake = new LakeFixture();
        lake.Lake.Start();
        await lake.LoadAsync(Enumerable.Range(0, 25).Select(i => LakeFixture.Event(i)));
        await lake.RestartAsync(start: false);

        Assert.Equal(25, lake.Lake.Catalog.Files.Sum(f => f.Rows));
        Assert.Equal(lake.Log.CommittedPosition, lake.Lake.Catalog.Watermark);
        Assert.Equal(0, lake.Lake.HotRows);
        Assert.Equal(25, lake.Count());
    }

    [Fact]
    public async Task A_checkpoint_left_behind_the_catalog_by_a_crash_catches_up_at_open()
    {
        await using var lake = new LakeFixture();
        lake.Lake.Start();
        await lake.LoadAsync(Enumerable.Range(0, 25).Select(i => LakeFixture.Event(i)));
        await lake.Lake.FlushAsync();
        // As if the process died between the catalog's commit and the log's checkpoint.
        lake.Log.Checkpoint("lake", 0);
        await lake.RestartAsync(start: false);

        Assert.Equal(lake.Log.CommittedPosition, lake.Lake.Catalog.Watermark);
        Assert.Equal(lake.Lake.Catalog.Watermark, lake.Log.GetCheckpoint("lake"));
        Assert.Equal(25, lake.Count());
    }

    [Fact]
    public async Task The_flush_records_the_discovered_schema_of_each_site()
    {
        await using var lake = new LakeFixture();
        lake.Lake.Start();
        await lake.LoadAsync(Enumerable.Range(0, 20).Select(i => LakeFixture.Event(i, name: i < 15 ? "Signup" : "Purchase")));
        await lake.Lake.FlushAsync();

        var schema = lake.Lake.Catalog.Sites["site-a"];
        Assert.Equal(15, schema.Events["Signup"].Count);
        Assert.Equal(5, schema.Events["Purchase"].Count);
        Assert.Equal(20, schema.Properties["plan"].Count);
        Assert.Equal(20, schema.Properties["n"].Count);
    }

    [Fact]
    public async Task Files_are_sorted_by_time_and_read_the_same_by_an_independent_reader()
    {
        await using var lake = new LakeFixture();
        lake.Lake.Start();
        var random = new Random(7);
        var events = Enumerable.Range(0, 500)
            .Select(i => LakeFixture.Event(i, site: i % 3 == 0 ? "site-b" : "site-a", timestamp: LakeFixture.Day0.AddMinutes(random.Next(0, 3 * 24 * 60))))
            .ToList();
        await lake.LoadAsync(events);
        await lake.Lake.FlushAsync();

        var expected = events
            .Select(e => $"{e.MessageId}|{e.SiteId}|{DateOnly.FromDateTime(e.Timestamp.UtcDateTime):yyyy-MM-dd}|{e.UserId ?? "null"}|{e.Path}")
            .Order(StringComparer.Ordinal)
            .ToList();
        var read = lake.ReadFolder("message_id, site_id, strftime(event_date, '%Y-%m-%d'), coalesce(user_id, 'null'), path");
        Assert.Equal(expected, read.Order(StringComparer.Ordinal).ToList());

        foreach (var file in lake.Lake.Catalog.Files)
        {
            var path = lake.Lake.Layout.Absolute(file.Path);
            Assert.Equal(0, lake.Count($"SELECT count(*) FROM (SELECT \"timestamp\" < lag(\"timestamp\") OVER () AS backwards FROM read_parquet('{path}')) WHERE backwards"));
            Assert.Equal(0, lake.Count($"SELECT count(*) FROM parquet_metadata('{path}') WHERE compression <> 'ZSTD'"));
        }
    }

    [Fact]
    public async Task The_hot_table_never_stores_ip_or_user_agent_columns()
    {
        await using var lake = new LakeFixture();
        Assert.DoesNotContain("\"ip\"", HotTable.CreateStatement, StringComparison.Ordinal);
        Assert.Equal(0, lake.Count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'events' AND column_name IN ('ip', 'user_agent')"));
        Assert.True(lake.Count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'events'") > 30);
    }

    [Fact]
    public async Task Two_lanes_load_exactly_what_one_lane_loads()
    {
        // Batches large enough to be split between lanes, with duplicates inside a batch, across batches and across the
        // two halves a batch is split into, and records the key reader declines (escaped ids) mixed in.
        var records = new ReadOnlyMemory<byte>[6000];
        for (var i = 0; i < records.Length; i++)
        {
            var id = i % 5 == 4 ? i - 1 - (600 * (i % 3)) : i;
            var messageId = id % 11 == 0 ? $"m\\\"{id}" : $"m-{id:D8}";
            records[i] = CanonicalEventWriter.ToUtf8(LakeFixture.Event(i, messageId: messageId, received: LakeFixture.Day0.AddSeconds(i)));
        }

        async Task<(List<string> Rows, Weir.Lake.Loading.LoaderCounters Counters)> LoadWith(int lanes)
        {
            await using var lake = new LakeFixture(o => o with { LoaderThreads = lanes, ReadBatch = 4096 });
            for (var at = 0; at < records.Length; at += 500)
            {
                await lake.Log.AppendBatchAsync(records.AsMemory(at, 500));
            }

            var end = lake.Log.CommittedPosition;
            lake.Lake.Start();
            await lake.Lake.WhenLoadedAsync(end);
            var rows = lake.Strings("SELECT message_id || '@' || received_at::VARCHAR || '@' || log_position::VARCHAR FROM hot_events ORDER BY ALL");
            return (rows, lake.Lake.Counters);
        }

        var one = await LoadWith(1);
        var two = await LoadWith(2);
        Assert.True(one.Counters.Duplicates > 900, $"{one.Counters.Duplicates} duplicates");
        Assert.Equal(one.Counters, two.Counters);
        Assert.Equal(one.Rows, two.Rows);
        Assert.Equal(6000 - one.Counters.Duplicates, two.Rows.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public void The_number_of_loader_lanes_is_checked(int lanes)
    {
        using var directory = new TempDirectory();
        var error = Assert.Throws<ArgumentException>(() => Lake.Open(new LakeOptions { DataDirectory = directory.Path, LoaderThreads = lanes }, log: null));
        Assert.Contains("LoaderThreads", error.Message, StringComparison.Ordinal);
    }
}
