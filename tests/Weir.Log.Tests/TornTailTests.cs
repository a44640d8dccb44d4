using Weir.Log.Format;

namespace Weir.Log.Tests;

/// <summary>
/// A crash can leave the last write half done. For the last records of the last segment, cut the file at every byte
/// offset and, separately, garble every byte: recovery keeps every complete record before the damage and nothing after it.
/// </summary>
public class TornTailTests
{
    private const int Records = 24;
    private const int Damaged = 4;

    [Fact]
    public async Task Cutting_the_last_segment_at_every_offset_of_its_last_records_keeps_every_complete_record_before_the_cut()
    {
        using var temp = new TempDirectory();
        var (segment, payloads, boundaries) = await BuildPristineAsync(temp.Combine("pristine"));
        var from = (int)boundaries[Records - Damaged];
        var checkedOffsets = 0;
        for (var cut = from; cut < segment.Length; cut++)
        {
            var kept = Array.FindLastIndex(boundaries, b => b <= cut); // records whose frames end at or before the cut
            await VerifyRecoveryAsync(temp.Combine("cut"), segment.AsSpan(0, cut).ToArray(), payloads, kept, cut - boundaries[kept]);
            checkedOffsets++;
        }

        Assert.Equal(segment.Length - from, checkedOffsets);
    }

    [Fact]
    public async Task Garbling_any_byte_of_the_last_records_keeps_every_record_before_the_damaged_one()
    {
        using var temp = new TempDirectory();
        var (segment, payloads, boundaries) = await BuildPristineAsync(temp.Combine("pristine"));
        for (var at = (int)boundaries[Records - Damaged]; at < segment.Length; at++)
        {
            var damaged = (byte[])segment.Clone();
            damaged[at] ^= 0xA5;
            var record = Array.FindLastIndex(boundaries, b => b <= at); // the record whose frame holds the byte
            await VerifyRecoveryAsync(temp.Combine("garble"), damaged, payloads, record, segment.Length - boundaries[record]);
        }
    }

    /// <summary>One segment of <see cref="Records"/> records of assorted sizes; boundaries[i] is the file offset of record i.</summary>
    private static async Task<(byte[] Segment, byte[][] Payloads, long[] Boundaries)> BuildPristineAsync(string directory)
    {
        var payloads = Enumerable.Range(0, Records).Select(i => TestRecords.Make(0, i, 8 + (i * 13 % 40))).ToArray();
        var boundaries = new long[Records + 1];
        await using (var log = DurableLog.Open(TestRecords.Options(directory)))
        {
            for (var i = 0; i < Records; i++)
            {
                boundaries[i] = SegmentFormat.HeaderLength + await log.AppendAsync(payloads[i]);
            }

            boundaries[Records] = SegmentFormat.HeaderLength + log.CommittedPosition;
        }

        var segment = await File.ReadAllBytesAsync(Path.Combine(directory, SegmentFormat.FileName(0)));
        Assert.Equal(boundaries[Records], segment.Length);
        return (segment, payloads, boundaries);
    }

    private static async Task VerifyRecoveryAsync(string directory, byte[] segment, byte[][] payloads, int kept, long tornBytes)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        await File.WriteAllBytesAsync(Path.Combine(directory, SegmentFormat.FileName(0)), segment);
        await using var log = DurableLog.Open(TestRecords.Options(directory));
        Assert.Equal(kept, log.Recovery.RecordsRecovered);
        Assert.Equal(tornBytes, log.Recovery.TornBytesTruncated);
        var all = TestRecords.ReadAll(log);
        Assert.Equal(kept, all.Count);
        for (var i = 0; i < kept; i++)
        {
            Assert.Equal(payloads[i], all[i].Payload);
        }

        // Appends continue right after the last good record.
        var end = log.CommittedPosition;
        Assert.Equal(end, await log.AppendAsync(TestRecords.Make(9, 9)));
        Assert.Equal(TestRecords.Make(9, 9), TestRecords.ReadAll(log, end).Single().Payload);
    }
}
