namespace Weir.Ingest.Tests;

/// <summary>The fuzz targets over the checked-in corpus and over seeded random mutations of it.</summary>
public class FuzzTests
{
    private const int Mutations = 4000;

    private static readonly byte[] Interesting = "{}[]\":,\\u0eE-+.tfn \n\xff\x00\xc3\xa9"u8.ToArray();

    public static TheoryData<string> CorpusFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Corpus")).Order())
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    private static byte[][] Corpus() =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Corpus")).Order().Select(File.ReadAllBytes)
            .Concat(Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Malformed")).Order().Select(File.ReadAllBytes))
            .ToArray();

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Every_corpus_file_runs_through_every_target(string file)
    {
        var data = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Corpus", file));
        FuzzTargets.SegmentJson(data);
        FuzzTargets.RecordDecoder(data);
        FuzzTargets.PixelAndBody(data);
    }

    [Fact]
    public void The_valid_corpus_files_produce_records()
    {
        var sink = new CollectingSink();
        foreach (var name in new[] { "track-full.json", "alias.json", "identify-escapes.json", "bom.json", "numbers.json" })
        {
            var call = name switch
            {
                "alias.json" => Segment.SegmentCall.Alias,
                "identify-escapes.json" => Segment.SegmentCall.Identify,
                "bom.json" => Segment.SegmentCall.Page,
                _ => Segment.SegmentCall.Track,
            };
            var result = Ingest.Segment.Parse(call, File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Corpus", name)), Ingest.Context(), sink);
            Assert.True(result.Accepted == 1, $"{name}: {result.BodyError}{string.Join(", ", result.Errors)}");
        }

        var batch = Ingest.Segment.Parse(Segment.SegmentCall.Batch, File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Corpus", "batch-mixed.json")), Ingest.Context(), sink);
        Assert.Equal(7, batch.Accepted);
        Assert.Equal([6, 7, 8], batch.Errors.Select(e => e.Index));
        var escapes = sink.Events[2];
        Assert.Equal("ü\"q\"\\", escapes.UserId);
        Assert.Equal("https://example.com/a", escapes.Url);
        Assert.Equal("1.2.3.4", escapes.Ip);
        foreach (var record in sink.Records)
        {
            FuzzTargets.RecordDecoder(record);
        }
    }

    [Fact]
    public void Thousands_of_seeded_mutations_never_break_the_targets()
    {
        var corpus = Corpus();
        var random = new Random(20240501);
        var emitted = 0;
        for (var i = 0; i < Mutations; i++)
        {
            var data = Mutate(random, corpus);
            try
            {
                FuzzTargets.SegmentJson(data);
                FuzzTargets.RecordDecoder(data);
                if (i % 8 == 0)
                {
                    FuzzTargets.PixelAndBody(data);
                }
            }
            catch (Exception e)
            {
                Assert.Fail($"Mutation {i} ({Convert.ToBase64String(data)}) threw {e}");
            }

            var sink = new CollectingSink();
            emitted += Ingest.Segment.Parse(Segment.SegmentCall.Batch, data, Ingest.Context(), sink).Accepted;
            emitted += Ingest.Segment.Parse(Segment.SegmentCall.Track, data, Ingest.Context(), sink).Accepted;
        }

        // The mutations must not all be rejected outright, or they would test only the first checks.
        Assert.InRange(emitted, 100, int.MaxValue);
    }

    [Fact]
    public void Mutated_records_never_break_the_record_decoder()
    {
        var sink = new CollectingSink();
        Ingest.Segment.Parse(Segment.SegmentCall.Batch, File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Corpus", "batch-mixed.json")), Ingest.Context(), sink);
        var records = sink.Records.ToArray();
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var data = Mutate(random, records);
            FuzzTargets.RecordDecoder(data);
        }
    }

    private static byte[] Mutate(Random random, byte[][] corpus)
    {
        var data = new List<byte>(corpus[random.Next(corpus.Length)]);
        var steps = random.Next(1, 5);
        for (var s = 0; s < steps; s++)
        {
            var at = data.Count == 0 ? 0 : random.Next(data.Count);
            switch (random.Next(7))
            {
                case 0 when data.Count > 0:
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data[at] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 2:
                    data.Insert(at, Interesting[random.Next(Interesting.Length)]);
                    break;
                case 3 when data.Count > 0:
                    data.RemoveRange(at, Math.Min(random.Next(1, 16), data.Count - at));
                    break;
                case 4 when data.Count > 0:
                    {
                        var length = Math.Min(random.Next(1, 64), data.Count - at);
                        data.InsertRange(random.Next(data.Count), data.GetRange(at, length));
                        break;
                    }

                case 5:
                    {
                        var other = corpus[random.Next(corpus.Length)];
                        if (other.Length > 0)
                        {
                            var from = random.Next(other.Length);
                            data.InsertRange(at, other.AsSpan(from, Math.Min(random.Next(1, 128), other.Length - from)).ToArray());
                        }

                        break;
                    }

                default:
                    if (data.Count > 0)
                    {
                        data.RemoveRange(at, data.Count - at);
                    }

                    break;
            }
        }

        return data.ToArray();
    }
}
