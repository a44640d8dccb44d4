using Weir.Log.Format;

namespace Weir.Log.Tests;

/// <summary>Damage a crash cannot explain stops the open, naming file and offset, unless the user asks to salvage.</summary>
public class CorruptionTests
{
    private static LogOptions SmallSegments(string directory) => TestRecords.Options(directory, segmentBytes: 4096, maxBatchBytes: 4096) with { MaxRecordBytes = 1000 };

    /// <summary>A log of 3+ segments of 100-byte records (108-byte frames), written one record per batch.</summary>
    private static async Task<string[]> BuildAsync(string directory, int records = 120)
    {
        await using (var log = DurableLog.Open(SmallSegments(directory)))
        {
            for (var i = 0; i < records; i++)
            {
                await log.AppendAsync(TestRecords.Make(0, i, 100));
            }
        }

        var segments = Directory.GetFiles(directory, "*.wlog").Order(StringComparer.Ordinal).ToArray();
        Assert.True(segments.Length >= 3, $"{segments.Length} segments");
        return segments;
    }

    private static void Garble(string path, long offset)
    {
        using var file = File.Open(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        var b = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(b ^ 0x40));
    }

    [Fact]
    public async Task A_bad_record_in_a_segment_that_is_not_the_last_stops_the_open_naming_file_and_offset()
    {
        using var temp = new TempDirectory();
        var segments = await BuildAsync(temp.Path);
        var frameStart = SegmentFormat.HeaderLength + 5 * 108;
        Garble(segments[0], frameStart + 50);

        var error = Assert.Throws<LogCorruptionException>(() => DurableLog.Open(SmallSegments(temp.Path)));
        Assert.Equal(segments[0], error.FilePath);
        Assert.Equal(frameStart, error.FileOffset);
        Assert.Contains(Path.GetFileName(segments[0]), error.Message, StringComparison.Ordinal);
        Assert.Contains($"offset {frameStart}", error.Message, StringComparison.Ordinal);
        Assert.Contains("Salvage", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Damage_in_the_last_segment_further_from_its_end_than_a_batch_is_corruption_not_a_torn_tail()
    {
        using var temp = new TempDirectory();
        var options = TestRecords.Options(temp.Path, segmentBytes: 1 << 20, maxBatchBytes: 4096) with { MaxRecordBytes = 1000 };
        await using (var log = DurableLog.Open(options))
        {
            for (var i = 0; i < 100; i++)
            {
                await log.AppendAsync(TestRecords.Make(0, i, 100)); // 10 800 bytes, more than twice the max batch
            }
        }

        var segment = Directory.GetFiles(temp.Path, "*.wlog").Single();
        Garble(segment, SegmentFormat.HeaderLength + 3);

        var error = Assert.Throws<LogCorruptionException>(() => DurableLog.Open(options));
        Assert.Equal(SegmentFormat.HeaderLength, error.FileOffset);
        Assert.Contains("not a torn tail", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_segment_in_the_middle_stops_the_open()
    {
        using var temp = new TempDirectory();
        var segments = await BuildAsync(temp.Path);
        File.Delete(segments[1]);

        var error = Assert.Throws<LogCorruptionException>(() => DurableLog.Open(SmallSegments(temp.Path)));
        Assert.Equal(segments[2], error.FilePath);
        Assert.Contains("predecessor", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Salvage_keeps_the_records_before_the_damage_moves_the_rest_aside_and_reports_it()
    {
        using var temp = new TempDirectory();
        var segments = await BuildAsync(temp.Path);
        var frameStart = SegmentFormat.HeaderLength + 5 * 108;
        Garble(segments[0], frameStart + 50);
        var laterBytes = segments.Skip(1).Sum(s => new FileInfo(s).Length);
        var damagedTail = new FileInfo(segments[0]).Length - frameStart;

        await using (var log = DurableLog.Open(SmallSegments(temp.Path) with { Salvage = true }))
        {
            var report = log.Recovery;
            Assert.Equal(5, report.RecordsRecovered);
            Assert.NotNull(report.Corruption);
            Assert.Contains($"offset {frameStart}", report.Corruption, StringComparison.Ordinal);
            Assert.Equal(laterBytes + damagedTail, report.SalvagedBytesDropped);
            Assert.Equal(segments.Length, report.CorruptFiles.Count);
            Assert.All(report.CorruptFiles, f => Assert.True(File.Exists(f), f));
            Assert.All(segments.Skip(1), s => Assert.False(File.Exists(s)));

            var kept = TestRecords.ReadAll(log);
            Assert.Equal(Enumerable.Range(0, 5), kept.Select(r => TestRecords.Parse(r.Payload).Sequence));
            Assert.Equal(5 * 108, await log.AppendAsync(TestRecords.Make(1, 0, 100)));
        }

        // The salvaged log is whole again: it opens without salvage.
        await using var reopened = DurableLog.Open(SmallSegments(temp.Path));
        Assert.Equal(6, reopened.Recovery.RecordsRecovered);
        Assert.Null(reopened.Recovery.Corruption);
    }
}
