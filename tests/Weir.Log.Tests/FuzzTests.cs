using Weir.Log.Format;

namespace Weir.Log.Tests;

/// <summary>
/// Fuzz targets over the segment decoders, run on the checked-in corpus (Corpus/Segments) and on seeded mutations of
/// it. A target must never throw anything but its documented exceptions and never read outside its input (spans make
/// an out-of-bounds read throw, which fails the test). New crashers go into the corpus with their issue number in the name.
/// </summary>
public class FuzzTests
{
    private static string CorpusDirectory => Path.Combine(AppContext.BaseDirectory, "Corpus", "Segments");

    /// <summary>The in-memory decoder: header, then frames until the first that is not valid. Documented to never throw.</summary>
    internal static void Fuzz(ReadOnlySpan<byte> data)
    {
        var maxPayload = 1 << 20;
        var offset = 0;
        if (SegmentFormat.TryReadHeader(data, out var header) == HeaderStatus.Valid)
        {
            maxPayload = header.MaxBatchBytes - SegmentFormat.FrameHeaderLength;
            offset = SegmentFormat.HeaderLength;
        }

        while (offset <= data.Length)
        {
            var status = SegmentFormat.TryReadFrame(data[offset..], maxPayload, out var length);
            if (status != FrameStatus.Valid)
            {
                break;
            }

            Assert.InRange(length, 1, maxPayload);
            offset += SegmentFormat.FrameHeaderLength + length;
        }

        CheckpointFormat.TryRead(data, out _);
    }

    /// <summary>
    /// The on-disk decoder: the input as the only segment of a log. Opening either succeeds (and then every record reads
    /// back) or fails with <see cref="LogCorruptionException"/>, the one documented exception.
    /// </summary>
    internal static async Task FuzzSegmentFileAsync(byte[] data, string directory)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllBytesAsync(Path.Combine(directory, SegmentFormat.FileName(0)), data);
        try
        {
            await using var log = DurableLog.Open(TestRecords.Options(directory));
            var records = TestRecords.ReadAll(log);
            Assert.Equal(log.Recovery.RecordsRecovered, records.Count);
        }
        catch (LogCorruptionException e)
        {
            Assert.NotNull(e.FilePath);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    public static TheoryData<string> CorpusFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(CorpusDirectory).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Fact]
    public void The_corpus_has_valid_truncated_and_garbled_segments()
    {
        var names = Directory.GetFiles(CorpusDirectory).Select(Path.GetFileName).ToArray();
        Assert.Contains(names, n => n!.StartsWith("valid_", StringComparison.Ordinal));
        Assert.Contains(names, n => n!.StartsWith("truncated_", StringComparison.Ordinal));
        Assert.Contains(names, n => n!.StartsWith("garbled_", StringComparison.Ordinal));
        Assert.All(Directory.GetFiles(CorpusDirectory), f => Assert.True(new FileInfo(f).Length <= 8192, f));
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public async Task The_decoders_survive_every_corpus_file_and_its_mutations(string name)
    {
        var data = await File.ReadAllBytesAsync(Path.Combine(CorpusDirectory, name));
        Fuzz(data);
        using var temp = new TempDirectory();
        await FuzzSegmentFileAsync(data, temp.Combine("log"));

        var random = new Random(name.Length * 7919 + data.Length);
        for (var i = 0; i < 500; i++)
        {
            var mutated = Mutate(data, random);
            Fuzz(mutated);
            if (i % 100 == 0)
            {
                await FuzzSegmentFileAsync(mutated, temp.Combine("log"));
            }
        }
    }

    [Fact]
    public void Valid_corpus_segments_decode_completely()
    {
        foreach (var file in Directory.GetFiles(CorpusDirectory, "valid_*"))
        {
            var data = File.ReadAllBytes(file);
            Assert.Equal(HeaderStatus.Valid, SegmentFormat.TryReadHeader(data, out var header));
            var offset = SegmentFormat.HeaderLength;
            while (offset < data.Length)
            {
                Assert.Equal(FrameStatus.Valid, SegmentFormat.TryReadFrame(data.AsSpan(offset), header.MaxBatchBytes, out var length));
                offset += 8 + length;
            }

            Assert.Equal(data.Length, offset);
        }
    }

    private static byte[] Mutate(byte[] data, Random random)
    {
        var copy = (byte[])data.Clone();
        switch (random.Next(4))
        {
            case 0 when copy.Length > 0:
                copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
                return copy;
            case 1 when copy.Length > 0:
                return copy[..random.Next(copy.Length)];
            case 2 when copy.Length >= 4:
                var at = random.Next(copy.Length - 3);
                BitConverter.TryWriteBytes(copy.AsSpan(at), random.Next(4) switch { 0 => -1, 1 => int.MaxValue, 2 => 0, _ => random.Next() });
                return copy;
            default:
                var extra = new byte[random.Next(1, 64)];
                random.NextBytes(extra);
                return [.. copy, .. extra];
        }
    }
}
