using Weir.Log.Format;

namespace Weir.Log.Tests;

public class FormatTests
{
    [Fact]
    public void Crc32C_gives_the_standard_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(4096)]
    public void Crc32C_of_the_words_path_matches_a_byte_at_a_time_crc(int length)
    {
        var data = TestRecords.Make(3, length, length)[..length];
        var slow = ~0u;
        foreach (var b in data)
        {
            slow = System.Numerics.BitOperations.Crc32C(slow, b);
        }

        Assert.Equal(~slow, Crc32C.Compute(data));
    }

    [Fact]
    public void A_frame_reads_back_and_any_flipped_bit_is_caught()
    {
        var payload = TestRecords.Make(1, 2, 40);
        var frame = new byte[8 + payload.Length];
        SegmentFormat.WriteFrame(frame, payload, Crc32C.ComputeFrame(payload));
        Assert.Equal(FrameStatus.Valid, SegmentFormat.TryReadFrame(frame, 1000, out var length));
        Assert.Equal(payload.Length, length);

        for (var bit = 0; bit < frame.Length * 8; bit++)
        {
            var damaged = (byte[])frame.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.NotEqual(FrameStatus.Valid, SegmentFormat.TryReadFrame(damaged, 1000, out _));
        }
    }

    [Fact]
    public void A_segment_header_round_trips_and_rejects_damage()
    {
        var header = new byte[SegmentFormat.HeaderLength];
        SegmentFormat.WriteHeader(header, new SegmentHeader(1234, 1000, 65536, 42));
        Assert.Equal(HeaderStatus.Valid, SegmentFormat.TryReadHeader(header, out var decoded));
        Assert.Equal(new SegmentHeader(1234, 1000, 65536, 42), decoded);

        header[20] ^= 1;
        Assert.Equal(HeaderStatus.BadChecksum, SegmentFormat.TryReadHeader(header, out _));
        Assert.Equal(HeaderStatus.Incomplete, SegmentFormat.TryReadHeader(header.AsSpan(0, 63), out _));
    }

    [Fact]
    public void Segment_file_names_sort_by_position_and_parse_back()
    {
        Assert.Equal("00000000000000004096.wlog", SegmentFormat.FileName(4096));
        Assert.True(SegmentFormat.TryParseFileName("00000000000000004096.wlog", out var position));
        Assert.Equal(4096, position);
        Assert.False(SegmentFormat.TryParseFileName("00000000000000004096.wlog.corrupt", out _));
    }
}
