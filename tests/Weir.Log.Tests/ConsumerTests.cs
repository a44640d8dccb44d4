using System.IO.Compression;
using Weir.Log.Format;

namespace Weir.Log.Tests;

public class ConsumerTests
{
    [Fact]
    public async Task A_reader_that_retains_the_previous_batch_keeps_it_intact_through_the_next_read()
    {
        using var temp = new TempDirectory();
        await using var log = DurableLog.Open(TestRecords.Options(temp.Path));
        for (var i = 0; i < 20; i++)
        {
            await log.AppendAsync(TestRecords.Make(0, i));
        }

        static int[] Sequences(LogRecordBatch batch) => batch.AsSpan().ToArray().Select(r => TestRecords.Parse(r.Payload.Span).Sequence).ToArray();

        using var retaining = log.OpenReader(0, retainPreviousBatch: true);
        var first = retaining.Read(maxRecords: 10);
        var second = retaining.Read(maxRecords: 10);
        Assert.Equal(Enumerable.Range(0, 10), Sequences(first));
        Assert.Equal(Enumerable.Range(10, 10), Sequences(second));
        Assert.Empty(retaining.Read(maxRecords: 10)); // at the end: this read may take the first batch's place...
        Assert.Equal(Enumerable.Range(10, 10), Sequences(second)); // ...but never the second's

        // Without it, the next read reuses the batch: the contrast the loader's pipeline depends on.
        using var plain = log.OpenReader(0);
        var reused = plain.Read(maxRecords: 10);
        Assert.Same(reused, plain.Read(maxRecords: 10));
        Assert.Equal(Enumerable.Range(10, 10), Sequences(reused));
    }

    [Fact]
    public async Task A_checkpoint_survives_reopening_and_the_reader_resumes_there()
    {
        using var temp = new TempDirectory();
        long checkpoint;
        await using (var log = DurableLog.Open(TestRecords.Options(temp.Path)))
        {
            Assert.Equal(0, log.RegisterConsumer("loader"));
            for (var i = 0; i < 10; i++)
            {
                await log.AppendAsync(TestRecords.Make(0, i));
            }

            using var reader = log.OpenReader("loader");
            var batch = await reader.ReadAsync(maxRecords: 4);
            Assert.Equal(4, batch.Count);
            Assert.Equal(Enumerable.Range(0, 4), batch.AsSpan().ToArray().Select(r => TestRecords.Parse(r.Payload.Span).Sequence));
            log.Checkpoint("loader", reader.Position);
            checkpoint = reader.Position;
            Assert.Equal(log.CommittedPosition - checkpoint, log.BacklogBytes);
        }

        await using (var log = DurableLog.Open(TestRecords.Options(temp.Path)))
        {
            Assert.Equal(1, log.Recovery.Consumers);
            Assert.Equal(checkpoint, log.GetCheckpoint("loader"));
            using var reader = log.OpenReader("loader");
            var batch = reader.Read();
            Assert.Equal(Enumerable.Range(4, 6), batch.AsSpan().ToArray().Select(r => TestRecords.Parse(r.Payload.Span).Sequence));
            Assert.Empty(reader.Read());
        }
    }

    [Fact]
    public async Task A_reader_never_sees_a_record_that_is_written_but_not_yet_fsynced()
    {
        using var temp = new TempDirectory();
        var fs = new FaultyFileSystem();
        await using var log = DurableLog.Open(TestRecords.Options(temp.Path) with { FileSystem = fs });
        await log.AppendAsync(TestRecords.Make(0, 0));
        using var reader = log.OpenReader(0);
        Assert.Single(reader.Read());

        using var gate = new ManualResetEventSlim();
        fs.SyncGate = gate;
        var append = log.AppendAsync(TestRecords.Make(0, 1)).AsTask();
        fs.SyncEntered.Wait(TimeSpan.FromSeconds(10));
        Assert.True(fs.SyncEntered.IsSet);

        // The record is in the file, but its fdatasync has not returned: the reader must not see it.
        var segment = Path.Combine(temp.Path, SegmentFormat.FileName(0));
        Assert.Equal(SegmentFormat.HeaderLength + 2 * 72, new FileInfo(segment).Length);
        Assert.Empty(reader.Read());
        var waiting = reader.ReadAsync().AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.False(append.IsCompleted);

        fs.SyncGate = null;
        gate.Set();
        Assert.Equal(72, await append);
        var batch = await waiting;
        Assert.Equal(1, TestRecords.Parse(batch[0].Payload.Span).Sequence);
    }

    [Fact]
    public async Task A_segment_is_deleted_only_once_every_consumer_has_passed_it()
    {
        using var temp = new TempDirectory();
        await using var log = DurableLog.Open(TestRecords.Options(temp.Path, segmentBytes: 4096, maxBatchBytes: 4096) with { MaxRecordBytes = 1000 });
        log.RegisterConsumer("fast");
        log.RegisterConsumer("slow");
        for (var i = 0; i < 200; i++)
        {
            await log.AppendAsync(TestRecords.Make(0, i, 100));
        }

        var segments = log.GetStatistics().Segments;
        Assert.True(segments >= 5);
        log.Checkpoint("fast", log.CommittedPosition);
        await log.RunRetentionAsync();
        Assert.Equal(segments, Directory.GetFiles(temp.Path, "*.wlog").Length);
        Assert.Equal(log.CommittedPosition, log.BacklogBytes);

        var middle = 100 * 108L;
        log.Checkpoint("slow", middle);
        await log.RunRetentionAsync();
        var remaining = log.Segments;
        Assert.True(remaining.Length < segments);
        Assert.True(remaining[0].BasePosition <= middle, "a segment the slow consumer has not passed was deleted");
        Assert.Equal(remaining.Length, Directory.GetFiles(temp.Path, "*.wlog").Length);
        using (var reader = log.OpenReader("slow"))
        {
            Assert.Equal(100, TestRecords.Parse(reader.Read()[0].Payload.Span).Sequence);
        }

        log.Checkpoint("slow", log.CommittedPosition);
        await log.RunRetentionAsync();
        Assert.Single(Directory.GetFiles(temp.Path, "*.wlog")); // the active segment always stays
        Assert.Equal(0, log.BacklogBytes);
    }

    [Fact]
    public async Task Without_consumers_no_segment_is_deleted()
    {
        using var temp = new TempDirectory();
        await using var log = DurableLog.Open(TestRecords.Options(temp.Path, segmentBytes: 4096, maxBatchBytes: 4096) with { MaxRecordBytes = 1000 });
        for (var i = 0; i < 100; i++)
        {
            await log.AppendAsync(TestRecords.Make(0, i, 100));
        }

        await log.RunRetentionAsync();
        Assert.Equal(log.GetStatistics().Segments, Directory.GetFiles(temp.Path, "*.wlog").Length);
        Assert.Equal(0, log.StartPosition);
    }

    [Fact]
    public async Task Archived_segments_replayed_before_the_live_log_give_every_record_once_in_order()
    {
        using var temp = new TempDirectory();
        var raw = temp.Combine("raw");
        var options = TestRecords.Options(temp.Combine("log"), segmentBytes: 4096, maxBatchBytes: 4096) with { MaxRecordBytes = 1000, ArchiveDirectory = raw };
        await using var log = DurableLog.Open(options);
        log.RegisterConsumer("loader");
        for (var i = 0; i < 300; i++)
        {
            await log.AppendAsync(TestRecords.Make(0, i, 20 + i % 150));
        }

        // Simulate a crash between archiving a segment and deleting it: the oldest live segment is also in the raw zone.
        using (var reader = log.OpenReader("loader"))
        {
            // A read stops at the end of a segment, so it can take several to get 150 records.
            for (var read = 0; read < 150;)
            {
                read += reader.Read(150 - read).Count;
            }

            log.Checkpoint("loader", reader.Position);
        }

        await log.RunRetentionAsync();
        var archives = Directory.GetFiles(raw, "*.wlog.gz");
        Assert.NotEmpty(archives);
        var oldestLive = log.Segments[0];
        var copyName = $"{oldestLive.BasePosition:D20}-{log.Segments[1].BasePosition:D20}.wlog.gz";
        await using (var source = File.OpenRead(oldestLive.Path))
        await using (var target = new GZipStream(File.Create(Path.Combine(raw, copyName)), CompressionLevel.Fastest))
        {
            await source.CopyToAsync(target);
        }

        // Archive names say the position range; the archives hold complete segments.
        foreach (var archive in archives)
        {
            var name = Path.GetFileName(archive);
            Assert.Matches(@"^\d{20}-\d{20}\.wlog\.gz$", name);
        }

        using var replay = log.OpenReplay();
        var sequences = new List<int>();
        var previous = -1L;
        while (true)
        {
            var batch = replay.Read(37);
            if (batch.Count == 0)
            {
                break;
            }

            foreach (var record in batch)
            {
                Assert.True(record.Position > previous);
                previous = record.Position;
                sequences.Add(TestRecords.Parse(record.Payload.Span).Sequence);
            }
        }

        Assert.Equal(Enumerable.Range(0, 300), sequences);
        Assert.Equal(log.CommittedPosition, replay.Position);
    }

    [Fact]
    public async Task Consumer_names_that_cannot_be_file_names_are_refused()
    {
        using var temp = new TempDirectory();
        await using var log = DurableLog.Open(TestRecords.Options(temp.Path));
        Assert.Throws<ArgumentException>(() => log.RegisterConsumer("../etc"));
        Assert.Throws<ArgumentException>(() => log.RegisterConsumer(""));
        Assert.Throws<KeyNotFoundException>(() => log.Checkpoint("nobody", 0));
    }
}
