using System.Buffers;
using System.Buffers.Text;
using Weir.Ingest.Body;
using Weir.Ingest.Internal;

namespace Weir.Ingest.Posthog;

/// <summary>
/// Undoes the encodings PostHog's SDKs put inside the HTTP body, after <see cref="RequestBodyReader"/> has undone
/// the HTTP <c>Content-Encoding</c>: posthog-js's gzip-js (gzip bytes sent as <c>text/plain</c>, with or without
/// <c>?compression=gzip-js</c>), base64 (<c>?compression=base64</c>, bare for beacons) and the form bodies
/// <c>data=&lt;JSON or base64&gt;</c> of older clients.
/// </summary>
public static class PosthogBody
{
    /// <summary>
    /// True for <c>application/x-www-form-urlencoded</c>, which only PostHog's endpoints accept: the server reads such
    /// a body without a media type check and hands it here.
    /// </summary>
    public static bool IsForm(string? contentType)
    {
        var value = contentType.AsSpan().Trim();
        var semicolon = value.IndexOf(';');
        return (semicolon < 0 ? value : value[..semicolon]).Trim().Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Decodes <paramref name="body"/> into JSON. Returns <paramref name="body"/> itself when it already is, or a new
    /// body (and disposes the old one). <paramref name="compression"/> is the <c>compression</c> query parameter.
    /// </summary>
    public static BodyReadResult Decode(RequestBody body, bool isForm, string? compression, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(body);
        var span = body.Span;
        var base64 = string.Equals(compression, "base64", StringComparison.OrdinalIgnoreCase);
        if (!base64 && !isForm && compression is { Length: > 0 } &&
            !string.Equals(compression, "gzip-js", StringComparison.OrdinalIgnoreCase) &&
            !string.Equals(compression, "gzip", StringComparison.OrdinalIgnoreCase))
        {
            body.Dispose();
            return new BodyReadResult(new IngestError(
                IngestErrorKind.UnsupportedEncoding, "compression", $"'{Shorten(compression)}' is not supported; use gzip-js, base64 or none."));
        }

        // gzip's magic number: posthog-js sends gzip-js bodies as text/plain, newer versions without the query parameter.
        if (span.Length >= 2 && span[0] == 0x1f && span[1] == 0x8b)
        {
            var gunzipped = RequestBodyReader.Read(body.Memory, null, "gzip", maxBytes);
            body.Dispose();
            return gunzipped;
        }

        if (isForm)
        {
            return FromForm(body, base64, maxBytes);
        }

        return base64 ? FromBase64(body, body.Span, maxBytes, "body") : new BodyReadResult(body);
    }

    private static BodyReadResult FromForm(RequestBody body, bool base64, int maxBytes)
    {
        var data = default(ReadOnlySpan<byte>);
        var found = false;
        foreach (var range in body.Span.Split((byte)'&'))
        {
            var pair = body.Span[range];
            if (pair.StartsWith("data="u8))
            {
                data = pair[5..];
                found = true;
                break;
            }
        }

        if (!found)
        {
            body.Dispose();
            return new BodyReadResult(new IngestError(IngestErrorKind.MissingField, "data", "is required in a form body: the events as JSON or base64."));
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(data.Length, 1));
        var length = PercentEncoding.Decode(data, buffer);
        body.Dispose();
        var decoded = new RequestBody(buffer, length);
        var trimmed = decoded.Span.TrimStart(" \t\r\n"u8);
        if (base64 || (!trimmed.IsEmpty && trimmed[0] is not ((byte)'{' or (byte)'[')))
        {
            return FromBase64(decoded, decoded.Span, maxBytes, "data");
        }

        return new BodyReadResult(decoded);
    }

    private static BodyReadResult FromBase64(RequestBody owner, ReadOnlySpan<byte> text, int maxBytes, string field)
    {
        text = text.Trim(" \t\r\n"u8);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(Base64.GetMaxDecodedFromUtf8Length(text.Length), 1));
        var status = Base64.DecodeFromUtf8(text, buffer, out _, out var written);
        owner.Dispose();
        if (status != OperationStatus.Done)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return new BodyReadResult(new IngestError(IngestErrorKind.CorruptEncoding, field, "is not valid base64."));
        }

        if (written > maxBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return new BodyReadResult(new IngestError(IngestErrorKind.BodyTooLarge, null, $"The body is larger than {maxBytes} bytes (after decoding)."));
        }

        return new BodyReadResult(new RequestBody(buffer, written));
    }

    private static string Shorten(string value) => value.Length <= 32 ? value : value[..32] + "…";
}
