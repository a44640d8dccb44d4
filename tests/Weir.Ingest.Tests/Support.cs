using System.Text;
using Weir.Core.Events;
using Weir.Ingest.Segment;

namespace Weir.Ingest.Tests;

/// <summary>Keeps every record it is given, and reads each back through the canonical reader.</summary>
internal sealed class CollectingSink : IRecordSink
{
    public List<byte[]> Records { get; } = [];

    public bool Refuse { get; init; }

    public int RefuseAfter { get; init; } = int.MaxValue;

    public IReadOnlyList<CanonicalEvent> Events => Records.ConvertAll(r => CanonicalEventReader.Read(r));

    public bool TryWrite(ReadOnlySpan<byte> record)
    {
        if (Refuse || Records.Count >= RefuseAfter)
        {
            return false;
        }

        Records.Add(record.ToArray());
        return true;
    }
}

/// <summary>Counts records without keeping them (allocation and throughput measurements).</summary>
internal struct CountingSink : IRecordSink
{
    public int Count;
    public long Bytes;

    public bool TryWrite(ReadOnlySpan<byte> record)
    {
        Count++;
        Bytes += record.Length;
        return true;
    }
}

internal static class Ingest
{
    public static readonly DateTimeOffset Received = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    public static readonly SegmentIngest Segment = new();

    public static IngestContext Context(DateTimeOffset? received = null) =>
        new(received ?? Received) { SiteId = "site-1", UserAgent = "HeaderAgent/1.0", Ip = "203.0.113.9" };

    public static (IngestResult Result, CollectingSink Sink) Run(SegmentCall call, string json, IngestContext? context = null)
    {
        var sink = new CollectingSink();
        var ctx = context ?? Context();
        var result = Segment.Parse(call, Encoding.UTF8.GetBytes(json), in ctx, sink);
        return (result, sink);
    }

    public static CanonicalEvent Single(SegmentCall call, string json, IngestContext? context = null)
    {
        var (result, sink) = Run(call, json, context);
        Assert.Null(result.BodyError);
        Assert.Empty(result.Errors);
        Assert.Equal(1, result.Accepted);
        return Assert.Single(sink.Events);
    }

    /// <summary>JSON with single quotes, for readable test bodies.</summary>
    public static string J(string singleQuoted) => singleQuoted.Replace('\'', '"');
}
