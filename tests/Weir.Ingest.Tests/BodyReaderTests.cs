using System.IO.Compression;
using System.IO.Pipelines;
using System.Text;
using Weir.Ingest.Body;

namespace Weir.Ingest.Tests;

public class BodyReaderTests
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("{\"batch\":[" + string.Join(',', Enumerable.Repeat("{\"type\":\"track\",\"userId\":\"ü\",\"event\":\"x\"}", 500)) + "]}");

    public static TheoryData<string?> Encodings() => new() { null, "identity", "gzip", "GZIP", "x-gzip", "deflate", "br" };

    private static byte[] Encode(byte[] data, string? encoding)
    {
        var output = new MemoryStream();
        Stream? compressor = encoding?.ToLowerInvariant() switch
        {
            "gzip" or "x-gzip" => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "deflate" => new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "br" => new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
            _ => null,
        };
        if (compressor is null)
        {
            return data;
        }

        using (compressor)
        {
            compressor.Write(data);
        }

        return output.ToArray();
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Each_supported_encoding_decodes_to_the_original_bytes(string? encoding)
    {
        var result = RequestBodyReader.Read(Encode(Payload, encoding), "application/json", encoding, 500 * 1024);
        using var body = result.Body!;
        Assert.True(body.Span.SequenceEqual(Payload));
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task Each_supported_encoding_decodes_from_a_stream(string? encoding)
    {
        var result = await RequestBodyReader.ReadAsync(new MemoryStream(Encode(Payload, encoding)), "text/plain;charset=UTF-8", encoding, 500 * 1024);
        using var body = result.Body!;
        Assert.True(body.Span.SequenceEqual(Payload));
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task Each_supported_encoding_decodes_from_a_pipe(string? encoding)
    {
        var pipe = new Pipe();
        var encoded = Encode(Payload, encoding);
        for (var i = 0; i < encoded.Length; i += 1000)
        {
            await pipe.Writer.WriteAsync(encoded.AsMemory(i, Math.Min(1000, encoded.Length - i)));
        }

        await pipe.Writer.CompleteAsync();
        var result = await RequestBodyReader.ReadAsync(pipe.Reader, null, encoding, 500 * 1024);
        using var body = result.Body!;
        Assert.True(body.Span.SequenceEqual(Payload));
    }

    [Fact]
    public async Task A_pipe_body_over_the_limit_is_too_large()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(new byte[40_000]);
        await pipe.Writer.CompleteAsync();
        var result = await RequestBodyReader.ReadAsync(pipe.Reader, "application/json", null, 32 * 1024);
        Assert.Equal(IngestErrorKind.BodyTooLarge, result.Error!.Kind);
        Assert.Equal(413, result.Error.StatusCode);
    }

    [Fact]
    public void A_body_exactly_at_the_limit_is_accepted()
    {
        var result = RequestBodyReader.Read(MalformedInputTests.Gzip(new byte[32 * 1024]), null, "gzip", 32 * 1024);
        using var body = result.Body!;
        Assert.Equal(32 * 1024, body.Length);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("application/json")]
    [InlineData("Application/JSON; charset=utf-8")]
    [InlineData("text/plain")]
    [InlineData("text/plain;charset=\"UTF-8\"")]
    [InlineData("application/vnd.segment+json")]
    public void Json_text_plain_and_no_content_type_are_accepted(string? contentType)
    {
        Assert.True(RequestBodyReader.IsAcceptedContentType(contentType));
    }

    [Fact]
    public void Error_kinds_map_to_400_413_415_and_503()
    {
        Assert.Equal(400, IngestErrors.StatusCode(IngestErrorKind.InvalidJson));
        Assert.Equal(400, IngestErrors.StatusCode(IngestErrorKind.MissingField));
        Assert.Equal(400, IngestErrors.StatusCode(IngestErrorKind.CorruptEncoding));
        Assert.Equal(413, IngestErrors.StatusCode(IngestErrorKind.EventTooLarge));
        Assert.Equal(413, IngestErrors.StatusCode(IngestErrorKind.BodyTooLarge));
        Assert.Equal(415, IngestErrors.StatusCode(IngestErrorKind.UnsupportedMediaType));
        Assert.Equal(415, IngestErrors.StatusCode(IngestErrorKind.UnsupportedEncoding));
        Assert.Equal(503, IngestErrors.StatusCode(IngestErrorKind.Unavailable));
        foreach (var kind in Enum.GetValues<IngestErrorKind>())
        {
            Assert.NotEqual("unknown", IngestErrors.Code(kind));
        }
    }
}
