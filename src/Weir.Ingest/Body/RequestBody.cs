using System.Buffers;

namespace Weir.Ingest.Body;

/// <summary>
/// A request body after decoding, in an array from <see cref="ArrayPool{T}.Shared"/>. Dispose it once the parse is
/// done (the records the sink took are copies).
/// </summary>
public sealed class RequestBody : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    internal RequestBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    public int Length => _length;

    public ReadOnlySpan<byte> Span => Buffer.AsSpan(0, _length);

    public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, _length);

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(RequestBody));

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = null;
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>Either a decoded body or the error that refused it.</summary>
public readonly struct BodyReadResult
{
    internal BodyReadResult(RequestBody body)
    {
        Body = body;
        Error = null;
    }

    internal BodyReadResult(IngestError error)
    {
        Body = null;
        Error = error;
    }

    /// <summary>The decoded body, when <see cref="IsSuccess"/>. The caller disposes it.</summary>
    public RequestBody? Body { get; }

    /// <summary>Why the body was refused (status via <see cref="IngestError.StatusCode"/>: 400, 413 or 415).</summary>
    public IngestError? Error { get; }

    public bool IsSuccess => Body is not null;
}

/// <summary>The content codings the reader decodes.</summary>
public enum ContentCoding
{
    Identity,
    Gzip,
    Deflate,
    Brotli,
}
