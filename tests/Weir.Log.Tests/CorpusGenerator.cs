using Weir.Log.Format;

namespace Weir.Log.Tests;

/// <summary>
/// Writes the fuzz corpus (Corpus/Segments) from real logs. It runs only when WEIR_WRITE_CORPUS names the folder to write
/// to, e.g. <c>WEIR_WRITE_CORPUS=$PWD/tests/Weir.Log.Tests/Corpus/Segments dotnet test --filter CorpusGenerator</c>;
/// otherwise it checks that the generator still produces segments the decoder accepts.
/// </summary>
public class CorpusGenerator
{
    [Fact]
    public async Task The_corpus_generator_produces_decodable_segments()
    {
        using var temp = new TempDirectory();
        var target = Environment.GetEnvironmentVariable("WEIR_WRITE_CORPUS") is { Length: > 0 } path ? path : temp.Combine("corpus");
        Directory.CreateDirectory(target);

        var small = await SegmentAsync(temp.Combine("small"), 3, 20);
        var many = await SegmentAsync(temp.Combine("many"), 40, 60);
        var header = small[..SegmentFormat.HeaderLength];
        var firstFrameEnd = SegmentFormat.HeaderLength + 8 + 20;
        var files = new Dictionary<string, byte[]>
        {
            ["valid_three_records.wlog"] = small,
            ["valid_forty_records.wlog"] = many,
            ["valid_header_only.wlog"] = header,
            ["truncated_in_header.wlog"] = small[..40],
            ["truncated_in_frame_header.wlog"] = small[..(firstFrameEnd + 5)],
            ["truncated_in_payload.wlog"] = small[..(firstFrameEnd + 15)],
            ["garbled_length.wlog"] = Garble(small, firstFrameEnd + 1),
            ["garbled_checksum.wlog"] = Garble(small, firstFrameEnd + 5),
            ["garbled_payload.wlog"] = Garble(many, many.Length - 10),
            ["garbled_magic.wlog"] = Garble(small, 2),
            ["garbled_header_base.wlog"] = Garble(small, 17),
            ["garbled_huge_length.wlog"] = WithInt(small, firstFrameEnd, int.MaxValue),
            ["garbled_negative_length.wlog"] = WithInt(small, firstFrameEnd, -8),
            ["garbled_zero_tail.wlog"] = [.. small, .. new byte[300]],
            ["garbled_random.bin"] = RandomBytes(1000),
        };

        foreach (var (name, data) in files)
        {
            await File.WriteAllBytesAsync(Path.Combine(target, name), data);
            FuzzTests.Fuzz(data);
        }

        Assert.Equal(HeaderStatus.Valid, SegmentFormat.TryReadHeader(small, out _));
        Assert.Equal(files.Count, Directory.GetFiles(target).Length);
    }

    private static async Task<byte[]> SegmentAsync(string directory, int records, int length)
    {
        await using (var log = DurableLog.Open(TestRecords.Options(directory)))
        {
            for (var i = 0; i < records; i++)
            {
                await log.AppendAsync(TestRecords.Make(0, i, length));
            }
        }

        var bytes = await File.ReadAllBytesAsync(Path.Combine(directory, SegmentFormat.FileName(0)));
        // A fixed creation time, so regenerated files do not differ for nothing.
        Assert.Equal(HeaderStatus.Valid, SegmentFormat.TryReadHeader(bytes, out var header));
        SegmentFormat.WriteHeader(bytes, header with { CreatedUnixMilliseconds = 0 });
        return bytes;
    }

    private static byte[] Garble(byte[] data, int at)
    {
        var copy = (byte[])data.Clone();
        copy[at] ^= 0x5A;
        return copy;
    }

    private static byte[] WithInt(byte[] data, int at, int value)
    {
        var copy = (byte[])data.Clone();
        BitConverter.TryWriteBytes(copy.AsSpan(at), value);
        return copy;
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(42).NextBytes(bytes);
        return bytes;
    }
}
