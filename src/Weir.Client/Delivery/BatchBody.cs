using System.Buffers;
using System.IO.Compression;
using Weir.Client.Events;

namespace Weir.Client.Delivery;

/// <summary>
/// Builds <c>{"batch":[…],"sentAt":"…"}</c> from the queued events' JSON, gzip-compressed if asked. One instance
/// per client, used by its single sender, so the buffers are kept from one request to the next.
/// </summary>
internal sealed class BatchBody : IDisposable
{
    /// <summary>
    /// The envelope's bytes around the events, rounded up: <c>{"batch":[</c>, <c>],"sentAt":"</c>, a 33-byte
    /// round-trip timestamp and <c>"}</c>.
    /// </summary>
    public const int EnvelopeBytes = 64;

    private readonly ArrayBufferWriter<byte> _json = new(16 * 1024);
    private readonly MemoryStream _compressed = new();

    public ReadOnlyMemory<byte> Build(List<QueuedEvent> events, DateTimeOffset sentAt, bool gzip)
    {
        _json.ResetWrittenCount();
        Append("{\"batch\":["u8);
        for (var i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                Append(","u8);
            }

            Append(events[i].Json);
        }

        Append("],\"sentAt\":\""u8);
        // Set for every attempt, so the server's clock-skew correction sees when this request left.
        var span = _json.GetSpan(48);
        if (!sentAt.ToUniversalTime().TryFormat(span, out var written, "O", null))
        {
            throw new InvalidOperationException("a round-trip timestamp did not fit in 48 bytes");
        }

        _json.Advance(written);
        Append("\"}"u8);
        if (!gzip)
        {
            return _json.WrittenMemory;
        }

        _compressed.SetLength(0);
        using (var zip = new GZipStream(_compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            zip.Write(_json.WrittenSpan);
        }

        return _compressed.GetBuffer().AsMemory(0, (int)_compressed.Length);
    }

    public void Dispose() => _compressed.Dispose();

    private void Append(ReadOnlySpan<byte> bytes) => _json.Write(bytes);
}
