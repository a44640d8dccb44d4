namespace Weir.Log.Tests;

public class AppendTests
{
    [Fact]
    public async Task Batches_that_wait_for_room_are_all_appended_once_each_at_their_own_positions()
    {
        // Many large batches at once, more than the buffer holds: most take the path that waits for the flusher to
        // free room. A batch once came back acknowledged, with position 0, without being appended, when the room
        // signal completed between its check and its wait.
        using var temp = new TempDirectory();
        var log = DurableLog.Open(TestRecords.Options(temp.Path, segmentBytes: 8 << 20, maxBatchBytes: 64 << 10));
        const int Rounds = 150, InFlight = 16, PerBatch = 40;
        var firsts = new List<long>();
        await using (log)
        {
            for (var round = 0; round < Rounds; round++)
            {
                var tasks = new List<Task<long>>();
                for (var b = 0; b < InFlight; b++)
                {
                    var batch = new ReadOnlyMemory<byte>[PerBatch];
                    for (var i = 0; i < PerBatch; i++)
                    {
                        batch[i] = TestRecords.Make((round * InFlight) + b, i, 1000 + (i % 300));
                    }

                    tasks.Add(log.AppendBatchAsync(batch).AsTask());
                }

                firsts.AddRange(await Task.WhenAll(tasks));
            }

            Assert.Equal(Rounds * InFlight * PerBatch, log.GetStatistics().RecordsAppended);
        }

        Assert.Equal(firsts.Count, firsts.Distinct().Count());
        await using var reopened = DurableLog.Open(TestRecords.Options(temp.Path, segmentBytes: 8 << 20, maxBatchBytes: 64 << 10));
        var records = TestRecords.ReadAll(reopened);
        Assert.Equal(Rounds * InFlight * PerBatch, records.Count);
        // Each acknowledged first position holds the first record of a batch.
        var byPosition = records.ToDictionary(r => r.Position, r => r.Payload);
        Assert.All(firsts, first => Assert.True(byPosition.ContainsKey(first), $"no record at acknowledged position {first}"));
    }

    [Fact]
    public async Task Concurrent_appenders_get_every_acknowledged_record_back_exactly_once_in_their_order()
    {
        using var temp = new TempDirectory();
        const int writers = 8, perWriter = 5000;
        var acked = new long[writers][];
        var log = DurableLog.Open(TestRecords.Options(temp.Path, segmentBytes: 512 << 10, maxBatchBytes: 256 << 10));
        await using (log)
        {
            await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                acked[w] = new long[perWriter];
                for (var i = 0; i < perWriter; i++)
                {
                    acked[w][i] = await log.AppendAsync(TestRecords.Make(w, i, 64 + (i % 200)));
                }
            })));

            var statistics = log.GetStatistics();
            Assert.Equal(writers * perWriter, statistics.RecordsAppended);
            // Group commit really groups: far fewer fsyncs than records.
            Assert.True(statistics.Fsyncs * 2 < statistics.RecordsAppended, $"{statistics.Fsyncs} fsyncs for {statistics.RecordsAppended} records");
            Assert.True(statistics.Segments > 1, "the log should have rolled segments");
        }

        await using var reopened = DurableLog.Open(TestRecords.Options(temp.Path, segmentBytes: 512 << 10, maxBatchBytes: 256 << 10));
        Assert.Equal(writers * perWriter, reopened.Recovery.RecordsRecovered);
        var next = new int[writers];
        foreach (var (position, payload) in TestRecords.ReadAll(reopened))
        {
            var (writer, sequence) = TestRecords.Parse(payload);
            Assert.Equal(next[writer], sequence);
            Assert.Equal(acked[writer][sequence], position);
            next[writer]++;
        }

        Assert.All(next, n => Assert.Equal(perWriter, n));
    }

    [Fact]
    public async Task Segments_roll_at_the_configured_size_and_a_reopened_log_continues_the_positions()
    {
        using var temp = new TempDirectory();
        var options = TestRecords.Options(temp.Path, segmentBytes: 4096, maxBatchBytes: 8192);
        long last;
        await using (var log = DurableLog.Open(options))
        {
            for (var i = 0; i < 200; i++)
            {
                await log.AppendAsync(TestRecords.Make(0, i, 100));
            }

            last = log.CommittedPosition;
            Assert.Equal(200 * 108, last);
        }

        var files = Directory.GetFiles(temp.Path, "*.wlog");
        Assert.True(files.Length >= 5, $"{files.Length} segments");
        foreach (var file in files)
        {
            Assert.True(new FileInfo(file).Length <= 64 + 4096 + 8192);
        }

        await using (var log = DurableLog.Open(options))
        {
            Assert.Equal(last, log.CommittedPosition);
            Assert.Equal(200, log.Recovery.RecordsRecovered);
            Assert.Equal(last, await log.AppendAsync(TestRecords.Make(0, 200, 100)));
            var all = TestRecords.ReadAll(log);
            Assert.Equal(201, all.Count);
            for (var i = 0; i < all.Count; i++)
            {
                Assert.Equal(i * 108L, all[i].Position);
                Assert.Equal(i, TestRecords.Parse(all[i].Payload).Sequence);
            }
        }
    }

    [Fact]
    public async Task A_batch_append_makes_its_records_durable_with_one_fsync()
    {
        using var temp = new TempDirectory();
        await using var log = DurableLog.Open(TestRecords.Options(temp.Path));
        await log.AppendAsync(TestRecords.Make(0, 0));
        var before = log.GetStatistics().Fsyncs;
        var records = Enumerable.Range(1, 50).Select(i => (ReadOnlyMemory<byte>)TestRecords.Make(0, i)).ToArray();
        var positions = new long[records.Length];
        var first = await log.AppendBatchAsync(records, positions);

        Assert.Equal(before + 1, log.GetStatistics().Fsyncs);
        Assert.Equal(72, first);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => i * 72L), positions);
        Assert.True(log.CommittedPosition > positions[^1]);
    }

    [Fact]
    public async Task TryEnqueue_and_WaitForCommitAsync_make_a_record_durable()
    {
        using var temp = new TempDirectory();
        await using var log = DurableLog.Open(TestRecords.Options(temp.Path));
        Assert.True(log.TryEnqueue(TestRecords.Make(0, 0), out var first));
        Assert.True(log.TryEnqueue(TestRecords.Make(0, 1), out var second));
        await log.WaitForCommitAsync(second);
        Assert.True(log.CommittedPosition > second);
        await log.WaitForCommitAsync(first); // already durable: completes at once
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await log.WaitForCommitAsync(log.CommittedPosition + 1000));
    }

    [Fact]
    public async Task TryEnqueue_reports_a_full_buffer_instead_of_blocking()
    {
        using var temp = new TempDirectory();
        await using var log = DurableLog.Open(TestRecords.Options(temp.Path, maxBatchBytes: 4096) with { MaxRecordBytes = 4000 });
        var big = TestRecords.Make(0, 0, 4000);
        var refused = false;
        for (var i = 0; i < 100 && !refused; i++)
        {
            refused = !log.TryEnqueue(big, out _);
        }

        Assert.True(refused);
    }

    [Fact]
    public async Task Records_that_are_empty_or_too_large_are_refused()
    {
        using var temp = new TempDirectory();
        await using var log = DurableLog.Open(TestRecords.Options(temp.Path));
        Assert.Throws<ArgumentException>(() => log.TryEnqueue([], out _));
        await Assert.ThrowsAsync<ArgumentException>(async () => await log.AppendAsync(new byte[(32 << 10) + 1]));
        Assert.Equal(0, log.CommittedPosition);
    }

    [Fact]
    public async Task Disposing_commits_what_was_enqueued()
    {
        using var temp = new TempDirectory();
        var log = DurableLog.Open(TestRecords.Options(temp.Path));
        for (var i = 0; i < 100; i++)
        {
            Assert.True(log.TryEnqueue(TestRecords.Make(0, i), out _));
        }

        await log.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => log.TryEnqueue(TestRecords.Make(0, 100), out _));
        Assert.Equal(LogState.Disposed, log.State);

        await using var reopened = DurableLog.Open(TestRecords.Options(temp.Path));
        Assert.Equal(100, reopened.Recovery.RecordsRecovered);
    }

    [Fact]
    public async Task A_second_open_of_the_same_directory_is_refused()
    {
        using var temp = new TempDirectory();
        await using var log = DurableLog.Open(TestRecords.Options(temp.Path));
        var error = Assert.Throws<IOException>(() => DurableLog.Open(TestRecords.Options(temp.Path)));
        Assert.Contains("already open", error.Message, StringComparison.Ordinal);
    }
}
