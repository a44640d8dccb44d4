using System.Text.Json;
using Weir.Core.Events;
using Weir.Ingest.Body;
using Weir.Ingest.Pixel;
using Weir.Ingest.Segment;

namespace Weir.Ingest.Tests;

/// <summary>
/// Fuzz targets. Each takes arbitrary bytes and must finish without throwing: the parsers' documented results are
/// return values (an <see cref="IngestResult"/>, a <see cref="PixelResult"/>, false from TryRead). Every record a
/// parser emits must read back through <see cref="CanonicalEventReader"/>. An external fuzzer can call these too.
/// </summary>
public static class FuzzTargets
{
    private static readonly SegmentCall[] Calls = [SegmentCall.Track, SegmentCall.Page, SegmentCall.Identify, SegmentCall.Alias, SegmentCall.Batch];

    private static readonly SegmentIngest Ingest = new();

    private static readonly PixelIngest Pixel = new();

    /// <summary>The JSON ingest parser, under each call type.</summary>
    public static void SegmentJson(ReadOnlySpan<byte> data)
    {
        var context = new IngestContext(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero)) { SiteId = "s" };
        foreach (var call in Calls)
        {
            var sink = new CheckingSink();
            var result = Ingest.Parse(call, data, in context, ref sink);
            Check(result.Accepted == sink.Count, "accepted count differs from records written");
            if (result.BodyError is { } body)
            {
                Check(body.Kind != IngestErrorKind.Unavailable, "the sink never refuses here");
                Check(result.Accepted == 0, "a body error after records were written");
                Check(body.StatusCode is >= 400 and < 500, "a body error that is not a client fault");
            }

            foreach (var error in result.Errors)
            {
                Check(error.Field is not null && error.Message.Length > 0, "a per-event error without a field or message");
                Check(call == SegmentCall.Batch ? error.Index >= 0 : error.Index == -1, "a per-event error with a wrong index");
                Check(error.StatusCode is 400 or 413, "a per-event error that is not 400 or 413");
            }

            Check(result.StatusCode is 200 or 400 or 413, "an unexpected status");
            IngestResponse.ToUtf8(result);
        }

        SegmentIngest.TryFindWriteKey(data, out _);
    }

    /// <summary>The canonical record decoder: returns false for anything that is not a record, never throws.</summary>
    public static void RecordDecoder(ReadOnlySpan<byte> data)
    {
        if (CanonicalEventReader.TryRead(data, out var value, out var error))
        {
            Check(value.MessageId.Length > 0, "a record without a message id was accepted");
            var again = CanonicalEventWriter.ToUtf8(value);
            Check(CanonicalEventReader.TryRead(again, out _, out _), "a written record does not read back");
        }
        else
        {
            Check(!string.IsNullOrEmpty(error), "a failure without a reason");
        }
    }

    /// <summary>The pixel parser over the bytes read as a query string, and the body decoder over them as gzip.</summary>
    public static void PixelAndBody(ReadOnlySpan<byte> data)
    {
        var query = System.Text.Encoding.Latin1.GetString(data);
        var sink = new CheckingSink();
        var context = new IngestContext(DateTimeOffset.UnixEpoch);
        var result = Pixel.Parse(query, in context, ref sink);
        Check(result.Accepted == (sink.Count == 1), "pixel accepted without a record");
        Check(result.Accepted || result.Error is not null, "pixel refused without an error");
        var decoded = RequestBodyReader.Read(data.ToArray(), null, "gzip", 4096);
        decoded.Body?.Dispose();
        Check(decoded.IsSuccess || decoded.Error is not null, "decoding failed without an error");
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Fuzz invariant broken: " + message);
        }
    }

    private struct CheckingSink : IRecordSink
    {
        public int Count;

        public bool TryWrite(ReadOnlySpan<byte> record)
        {
            Count++;
            var reader = new Utf8JsonReader(record);
            while (reader.Read())
            {
            }

            if (!CanonicalEventReader.TryRead(record, out var e, out var error))
            {
                throw new InvalidOperationException("Fuzz invariant broken: an emitted record does not read back: " + error);
            }

            Check(e.ReceivedAt == e.Timestamp || e.Timestamp <= e.ReceivedAt.AddHours(1), "timestamp beyond the tolerance");
            return true;
        }
    }
}
