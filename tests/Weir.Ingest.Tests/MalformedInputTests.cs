using System.IO.Compression;
using System.Text;
using Weir.Ingest.Body;
using Weir.Ingest.Segment;
using static Weir.Ingest.Tests.Ingest;

namespace Weir.Ingest.Tests;

/// <summary>
/// The malformed corpus: bodies in Malformed/ and generated ones (too big to check in), each run through the whole
/// pipeline the server uses (body decoding, then parsing) with its expected error kind, field and status.
/// </summary>
public class MalformedInputTests
{
    public sealed record Case(string Name, SegmentCall Call, Func<byte[]> Body, string? ContentType, string? ContentEncoding,
        IngestErrorKind Kind, string? Field)
    {
        public override string ToString() => Name;
    }

    private static Func<byte[]> File(string name) => () => System.IO.File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Malformed", name));

    private static Func<byte[]> Text(string json) => () => Encoding.UTF8.GetBytes(json);

    private const string Json = "application/json";

    private static readonly Case[] Cases =
    [
        new("truncated JSON", SegmentCall.Track, File("invalid-json-truncated.json"), Json, null, IngestErrorKind.InvalidJson, null),
        new("trailing data", SegmentCall.Track, File("invalid-json-trailing.json"), Json, null, IngestErrorKind.InvalidJson, null),
        new("single quotes", SegmentCall.Track, File("invalid-json-single-quotes.json"), Json, null, IngestErrorKind.InvalidJson, null),
        new("comment", SegmentCall.Track, File("invalid-json-comment.json"), Json, null, IngestErrorKind.InvalidJson, null),
        new("trailing comma", SegmentCall.Track, File("invalid-json-trailing-comma.json"), Json, null, IngestErrorKind.InvalidJson, null),
        new("root array on a single call", SegmentCall.Track, File("root-array.json"), Json, null, IngestErrorKind.InvalidJson, null),
        new("root string on a batch", SegmentCall.Batch, File("root-string.json"), Json, null, IngestErrorKind.InvalidJson, null),
        new("invalid JSON in a batch", SegmentCall.Batch, Text("{\"batch\":[{\"type\":\"track\",}]}"), Json, null, IngestErrorKind.InvalidJson, null),
        new("bad UTF-8", SegmentCall.Track, File("bad-utf8.bin"), Json, null, IngestErrorKind.InvalidUtf8, null),
        new("overlong UTF-8", SegmentCall.Track, File("overlong-utf8.bin"), Json, null, IngestErrorKind.InvalidUtf8, null),
        new("UTF-8 encoded surrogate", SegmentCall.Track, File("utf8-surrogate.bin"), Json, null, IngestErrorKind.InvalidUtf8, null),
        new("lone surrogate escape", SegmentCall.Track, File("lone-surrogate-escape.json"), Json, null, IngestErrorKind.InvalidField, "event"),
        new("lone surrogate in properties", SegmentCall.Track, File("lone-high-surrogate-in-properties.json"), Json, null, IngestErrorKind.InvalidField, "properties"),
        new("event is a number", SegmentCall.Track, File("wrong-type-event.json"), Json, null, IngestErrorKind.InvalidField, "event"),
        new("properties is an array", SegmentCall.Track, File("wrong-type-properties.json"), Json, null, IngestErrorKind.InvalidField, "properties"),
        new("context is a string", SegmentCall.Track, File("wrong-type-context.json"), Json, null, IngestErrorKind.InvalidField, "context"),
        new("userId is a boolean", SegmentCall.Track, File("wrong-type-user-id.json"), Json, null, IngestErrorKind.InvalidField, "userId"),
        new("messageId is an object", SegmentCall.Track, File("wrong-type-message-id.json"), Json, null, IngestErrorKind.InvalidField, "messageId"),
        new("no ids", SegmentCall.Track, File("missing-ids.json"), Json, null, IngestErrorKind.MissingField, "userId"),
        new("empty ids", SegmentCall.Track, File("empty-ids.json"), Json, null, IngestErrorKind.MissingField, "userId"),
        new("batch is an object", SegmentCall.Batch, File("batch-not-array.json"), Json, null, IngestErrorKind.InvalidField, "batch"),
        new("batch item without ids", SegmentCall.Batch, File("batch-item-missing-id.json"), Json, null, IngestErrorKind.MissingField, "batch[0].userId"),
        new("batch context is an array", SegmentCall.Batch, File("batch-context-not-object.json"), Json, null, IngestErrorKind.InvalidField, "context"),
        new("empty body", SegmentCall.Track, File("empty.json"), Json, null, IngestErrorKind.EmptyBody, null),
        new("whitespace body", SegmentCall.Batch, File("whitespace.json"), null, null, IngestErrorKind.EmptyBody, null),
        new("oversize event", SegmentCall.Track, () => Event(33 * 1024), Json, null, IngestErrorKind.BodyTooLarge, null),
        new("oversize batch", SegmentCall.Batch, () => Batch(501 * 1024), Json, null, IngestErrorKind.BodyTooLarge, null),
        new("oversize batch gzipped", SegmentCall.Batch, () => Gzip(Batch(501 * 1024)), Json, "gzip", IngestErrorKind.BodyTooLarge, null),
        new("gzip bomb", SegmentCall.Batch, () => Gzip(new byte[10 * 1024 * 1024]), Json, "gzip", IngestErrorKind.BodyTooLarge, null),
        new("deflate bomb", SegmentCall.Track, () => Deflate(new byte[10 * 1024 * 1024]), Json, "deflate", IngestErrorKind.BodyTooLarge, null),
        new("corrupt gzip", SegmentCall.Track, () => [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3], Json, "gzip", IngestErrorKind.CorruptEncoding, "Content-Encoding"),
        new("gzip header on plain JSON", SegmentCall.Track, Text("{\"userId\":\"u\",\"event\":\"x\"}"), Json, "gzip", IngestErrorKind.CorruptEncoding, "Content-Encoding"),
        new("properties nested too deep", SegmentCall.Track, () => Nested(20), Json, null, IngestErrorKind.TooDeep, "properties"),
        new("nesting beyond the reader", SegmentCall.Track, () => Nested(100), Json, null, IngestErrorKind.InvalidJson, null),
        new("too many properties", SegmentCall.Track, () => ManyKeys(300), Json, null, IngestErrorKind.TooManyKeys, "properties"),
        new("long property string", SegmentCall.Track, Text("{\"userId\":\"u\",\"event\":\"x\",\"properties\":{\"a\":\"" + new string('a', 9000) + "\"}}"), Json, null, IngestErrorKind.StringTooLong, "properties"),
        new("long userId", SegmentCall.Track, Text("{\"userId\":\"" + new string('u', 300) + "\",\"event\":\"x\"}"), Json, null, IngestErrorKind.StringTooLong, "userId"),
        new("long event name", SegmentCall.Batch, Text("{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"" + new string('e', 300) + "\"}]}"), Json, null, IngestErrorKind.StringTooLong, "batch[0].event"),
        new("text/html", SegmentCall.Track, Text("{}"), "text/html", null, IngestErrorKind.UnsupportedMediaType, "Content-Type"),
        new("form encoded", SegmentCall.Track, Text("a=b"), "application/x-www-form-urlencoded", null, IngestErrorKind.UnsupportedMediaType, "Content-Type"),
        new("multipart", SegmentCall.Batch, Text("{}"), "multipart/form-data; boundary=x", null, IngestErrorKind.UnsupportedMediaType, "Content-Type"),
        new("latin-1 charset", SegmentCall.Track, Text("{}"), "application/json; charset=iso-8859-1", null, IngestErrorKind.UnsupportedMediaType, "Content-Type"),
        new("compress encoding", SegmentCall.Track, Text("{}"), Json, "compress", IngestErrorKind.UnsupportedEncoding, "Content-Encoding"),
        new("zstd encoding", SegmentCall.Track, Text("{}"), Json, "zstd", IngestErrorKind.UnsupportedEncoding, "Content-Encoding"),
        new("stacked encodings", SegmentCall.Track, Text("{}"), Json, "gzip, br", IngestErrorKind.UnsupportedEncoding, "Content-Encoding"),
    ];

    public static TheoryData<Case> All()
    {
        var data = new TheoryData<Case>();
        foreach (var c in Cases)
        {
            data.Add(c);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Each_malformed_body_gets_its_expected_error_kind_and_field(Case c)
    {
        var error = RunPipeline(c.Call, c.Body(), c.ContentType, c.ContentEncoding, out var accepted);
        Assert.NotNull(error);
        Assert.Equal(c.Kind, error.Kind);
        Assert.Equal(c.Field, error.Field);
        Assert.Equal(IngestErrors.StatusCode(c.Kind), error.StatusCode);
        Assert.InRange(error.StatusCode, 400, 499);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        if (c.Name != "batch item without ids")
        {
            Assert.Equal(0, accepted);
        }
    }

    [Fact]
    public void The_corpus_files_are_all_in_the_table()
    {
        var files = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Malformed")).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(24, files.Length);
    }

    [Fact]
    public void A_gzip_bomb_fails_fast_with_little_allocation()
    {
        var bomb = Gzip(new byte[10 * 1024 * 1024]);
        Assert.InRange(bomb.Length, 1, 20 * 1024);
        var max = Ingest.Segment.MaxBodyBytes(SegmentCall.Batch);
        RequestBodyReader.Read(bomb, Json, "gzip", max);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = RequestBodyReader.Read(bomb, Json, "gzip", max);
        watch.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(IngestErrorKind.BodyTooLarge, result.Error!.Kind);
        Assert.InRange(allocated, 0, 256 * 1024);
        Assert.InRange(watch.ElapsedMilliseconds, 0, 500);
    }

    [Fact]
    public async Task A_gzip_bomb_from_a_stream_stops_at_the_limit()
    {
        var bomb = Gzip(new byte[10 * 1024 * 1024]);
        var source = new CountingStream(new MemoryStream(bomb));
        var result = await RequestBodyReader.ReadAsync(source, Json, "gzip", 500 * 1024);
        Assert.Equal(IngestErrorKind.BodyTooLarge, result.Error!.Kind);
        Assert.InRange(source.BytesRead, 1, bomb.Length);
    }

    internal static IngestError? RunPipeline(SegmentCall call, byte[] raw, string? contentType, string? contentEncoding, out int accepted)
    {
        accepted = 0;
        var decoded = RequestBodyReader.Read(raw, contentType, contentEncoding, Ingest.Segment.MaxBodyBytes(call));
        if (!decoded.IsSuccess)
        {
            return decoded.Error;
        }

        using var body = decoded.Body!;
        var sink = new CollectingSink();
        var result = Ingest.Segment.Parse(call, body.Span, Context(), sink);
        accepted = result.Accepted;
        Assert.Equal(result.Accepted, sink.Records.Count);
        return result.BodyError ?? result.Errors.FirstOrDefault();
    }

    internal static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    internal static byte[] Deflate(byte[] data)
    {
        var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] Event(int size) =>
        Encoding.UTF8.GetBytes("{\"userId\":\"u\",\"event\":\"x\",\"properties\":{\"pad\":\"" + new string('p', size) + "\"}}");

    private static byte[] Batch(int size)
    {
        var item = "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"x\",\"properties\":{\"pad\":\"" + new string('p', 1000) + "\"}}";
        var count = size / item.Length + 1;
        return Encoding.UTF8.GetBytes("{\"batch\":[" + string.Join(',', Enumerable.Repeat(item, count)) + "]}");
    }

    private static byte[] Nested(int depth) =>
        Encoding.UTF8.GetBytes("{\"userId\":\"u\",\"event\":\"x\",\"properties\":" + string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth) + "}");

    private static byte[] ManyKeys(int keys) =>
        Encoding.UTF8.GetBytes("{\"userId\":\"u\",\"event\":\"x\",\"properties\":{" + string.Join(',', Enumerable.Range(0, keys).Select(i => $"\"k{i}\":{i}")) + "}}");

    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, Math.Min(count, 4096));
            BytesRead += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
