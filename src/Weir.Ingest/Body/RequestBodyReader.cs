using System.Buffers;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Runtime.InteropServices;

namespace Weir.Ingest.Body;

/// <summary>
/// Turns a request body into decoded bytes for the parsers. Checks Content-Type (JSON, <c>text/plain</c> as sent by
/// <c>navigator.sendBeacon</c>, or none; a charset must be UTF-8) and Content-Encoding (identity, gzip, deflate, br),
/// and enforces the size limit while decompressing, so a gzip bomb stops after <c>maxBytes + 1</c> bytes of output.
/// </summary>
public static class RequestBodyReader
{
    private const int InitialBuffer = 16 * 1024;

    /// <summary>Checks the two headers; null when both are acceptable.</summary>
    public static IngestError? CheckHeaders(string? contentType, string? contentEncoding, out ContentCoding coding)
    {
        coding = ContentCoding.Identity;
        if (!IsAcceptedContentType(contentType))
        {
            return new IngestError(
                IngestErrorKind.UnsupportedMediaType, "Content-Type",
                $"'{Shorten(contentType)}' is not accepted; send application/json or text/plain holding JSON, in UTF-8.");
        }

        var encoding = contentEncoding.AsSpan().Trim();
        if (encoding.IsEmpty || encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            coding = ContentCoding.Identity;
        }
        else if (encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) ||
                 encoding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
        {
            coding = ContentCoding.Gzip;
        }
        else if (encoding.Equals("deflate", StringComparison.OrdinalIgnoreCase))
        {
            coding = ContentCoding.Deflate;
        }
        else if (encoding.Equals("br", StringComparison.OrdinalIgnoreCase))
        {
            coding = ContentCoding.Brotli;
        }
        else
        {
            return new IngestError(
                IngestErrorKind.UnsupportedEncoding, "Content-Encoding",
                $"'{Shorten(contentEncoding)}' is not supported; use gzip, deflate, br or none.");
        }

        return null;
    }

    /// <summary>
    /// True for no Content-Type, <c>application/json</c>, <c>application/*+json</c> and <c>text/plain</c>, with no
    /// charset or a UTF-8 one.
    /// </summary>
    public static bool IsAcceptedContentType(string? contentType)
    {
        var value = contentType.AsSpan().Trim();
        if (value.IsEmpty)
        {
            return true;
        }

        var semicolon = value.IndexOf(';');
        var media = (semicolon < 0 ? value : value[..semicolon]).Trim();
        var ok = media.Equals("application/json", StringComparison.OrdinalIgnoreCase) ||
                 media.Equals("text/plain", StringComparison.OrdinalIgnoreCase) ||
                 (media.StartsWith("application/", StringComparison.OrdinalIgnoreCase) &&
                  media.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
        if (!ok)
        {
            return false;
        }

        var parameters = semicolon < 0 ? default : value[(semicolon + 1)..];
        while (!parameters.IsEmpty)
        {
            var next = parameters.IndexOf(';');
            var parameter = (next < 0 ? parameters : parameters[..next]).Trim();
            parameters = next < 0 ? default : parameters[(next + 1)..];
            var equals = parameter.IndexOf('=');
            if (equals < 0 || !parameter[..equals].Trim().Equals("charset", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var charset = parameter[(equals + 1)..].Trim().Trim('"');
            if (!charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) &&
                !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Reads and decodes a body from a stream (e.g. <c>HttpRequest.Body</c>).</summary>
    public static async ValueTask<BodyReadResult> ReadAsync(
        Stream body,
        string? contentType,
        string? contentEncoding,
        int maxBytes,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        if (CheckHeaders(contentType, contentEncoding, out var coding) is { } headerError)
        {
            return new BodyReadResult(headerError);
        }

        if (coding == ContentCoding.Identity)
        {
            return await CopyAsync(body, maxBytes, cancellationToken).ConfigureAwait(false);
        }

        var limited = new LimitedReadStream(body, CompressedLimit(maxBytes));
        await using var decoder = Decoder(limited, coding);
        return await CopyAsync(decoder, maxBytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads and decodes a body from a pipe (e.g. <c>HttpRequest.BodyReader</c>). With <paramref name="contentLength"/>
    /// (the request's Content-Length, when it has one) an uncompressed body is read into a buffer of its size rather than
    /// a 16 KB one: a pooled 16 KB buffer per request in flight would be most of the memory under load.
    /// </summary>
    public static async ValueTask<BodyReadResult> ReadAsync(
        PipeReader body,
        string? contentType,
        string? contentEncoding,
        int maxBytes,
        long? contentLength = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        if (CheckHeaders(contentType, contentEncoding, out var coding) is { } headerError)
        {
            return new BodyReadResult(headerError);
        }

        if (coding != ContentCoding.Identity)
        {
            var stream = body.AsStream(leaveOpen: true);
            var limited = new LimitedReadStream(stream, CompressedLimit(maxBytes));
            await using var decoder = Decoder(limited, coding);
            return await CopyAsync(decoder, maxBytes, cancellationToken).ConfigureAwait(false);
        }

        // One byte more than announced, so a body longer than its Content-Length would still be seen whole.
        var initial = contentLength is > 0 and var announced && announced < maxBytes ? (int)announced + 1 : Math.Min(maxBytes + 1, InitialBuffer);
        var buffer = ArrayPool<byte>.Shared.Rent(initial);
        var length = 0;
        var done = false;
        try
        {
            while (true)
            {
                var read = await body.ReadAsync(cancellationToken).ConfigureAwait(false);
                var data = read.Buffer;
                if (length + data.Length > maxBytes)
                {
                    body.AdvanceTo(data.End);
                    return TooLarge(maxBytes);
                }

                if (length + (int)data.Length > buffer.Length)
                {
                    buffer = Grow(buffer, length, Math.Min(Math.Max(buffer.Length * 2, length + (int)data.Length), maxBytes + 1));
                }

                data.CopyTo(buffer.AsSpan(length));
                length += (int)data.Length;
                body.AdvanceTo(data.End);
                if (read.IsCompleted || read.IsCanceled)
                {
                    break;
                }
            }

            done = true;
            return new BodyReadResult(new RequestBody(buffer, length));
        }
        finally
        {
            if (!done)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Decodes a body already in memory (tests, tools, buffered hosts).</summary>
    public static BodyReadResult Read(ReadOnlyMemory<byte> raw, string? contentType, string? contentEncoding, int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        if (CheckHeaders(contentType, contentEncoding, out var coding) is { } headerError)
        {
            return new BodyReadResult(headerError);
        }

        if (coding == ContentCoding.Identity)
        {
            if (raw.Length > maxBytes)
            {
                return TooLarge(maxBytes);
            }

            var copy = ArrayPool<byte>.Shared.Rent(Math.Max(raw.Length, 1));
            raw.Span.CopyTo(copy);
            return new BodyReadResult(new RequestBody(copy, raw.Length));
        }

        if (raw.Length > CompressedLimit(maxBytes))
        {
            return TooLarge(maxBytes);
        }

        var source = MemoryMarshal.TryGetArray(raw, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(raw.ToArray(), writable: false);
        using var decoder = Decoder(source, coding);
        return Copy(decoder, maxBytes);
    }

    /// <summary>Compressed input beyond this is refused: real payloads compress, and empty deflate blocks must not spin.</summary>
    private static long CompressedLimit(int maxBytes) => maxBytes + 1024L + maxBytes / 64;

    private static Stream Decoder(Stream source, ContentCoding coding) => coding switch
    {
        ContentCoding.Gzip => new GZipStream(source, CompressionMode.Decompress, leaveOpen: true),
        ContentCoding.Deflate => new ZLibStream(source, CompressionMode.Decompress, leaveOpen: true),
        _ => new BrotliStream(source, CompressionMode.Decompress, leaveOpen: true),
    };

    private static async ValueTask<BodyReadResult> CopyAsync(Stream source, int maxBytes, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(maxBytes + 1, InitialBuffer));
        var length = 0;
        var done = false;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    buffer = Grow(buffer, length, Math.Min(buffer.Length * 2, maxBytes + 1));
                }

                var n = await source.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                length += n;
                if (length > maxBytes)
                {
                    return TooLarge(maxBytes);
                }
            }

            done = true;
            return new BodyReadResult(new RequestBody(buffer, length));
        }
        catch (InvalidDataException)
        {
            return Corrupt();
        }
        catch (LimitExceededException)
        {
            return TooLarge(maxBytes);
        }
        finally
        {
            if (!done)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static BodyReadResult Copy(Stream source, int maxBytes)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(maxBytes + 1, InitialBuffer));
        var length = 0;
        var done = false;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    buffer = Grow(buffer, length, Math.Min(buffer.Length * 2, maxBytes + 1));
                }

                var n = source.Read(buffer.AsSpan(length));
                if (n == 0)
                {
                    break;
                }

                length += n;
                if (length > maxBytes)
                {
                    return TooLarge(maxBytes);
                }
            }

            done = true;
            return new BodyReadResult(new RequestBody(buffer, length));
        }
        catch (InvalidDataException)
        {
            return Corrupt();
        }
        finally
        {
            if (!done)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static byte[] Grow(byte[] buffer, int length, int size)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(size);
        buffer.AsSpan(0, length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        return bigger;
    }

    private static BodyReadResult TooLarge(int maxBytes) => new(new IngestError(
        IngestErrorKind.BodyTooLarge, null, $"The body is larger than {maxBytes} bytes (after decompression)."));

    private static BodyReadResult Corrupt() => new(new IngestError(
        IngestErrorKind.CorruptEncoding, "Content-Encoding", "The compressed body is corrupt or truncated."));

    private static string Shorten(string? value) =>
        value is null ? "" : value.Length <= 64 ? value : value[..64] + "…";

    private sealed class LimitExceededException : IOException
    {
        public LimitExceededException()
            : base("The compressed body is too large.")
        {
        }
    }

    /// <summary>A read-only view of a stream that fails once more than a set number of bytes came through.</summary>
    private sealed class LimitedReadStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _read;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int n)
        {
            _read += n;
            return _read > limit ? throw new LimitExceededException() : n;
        }
    }
}
