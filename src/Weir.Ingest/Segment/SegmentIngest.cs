using System.Text;
using System.Text.Json;
using Weir.Ingest.Internal;

namespace Weir.Ingest.Segment;

/// <summary>
/// Parses bodies of the Segment HTTP Tracking API into canonical event records. Thread-safe; one instance serves the
/// whole server. See docs/ingest.md for the field mapping, the limits and the error rules.
/// </summary>
/// <remarks>
/// The server's sequence per request: read the body with <see cref="Body.RequestBodyReader"/> (capped at
/// <see cref="MaxBodyBytes"/>); take the write key from Basic auth (<see cref="WriteKeys.TryParseBasic"/>) or from
/// the body (<see cref="TryFindWriteKey"/>); resolve the site; call <see cref="Parse{TSink}"/> with a sink that
/// enqueues into the log; answer <see cref="IngestResult.StatusCode"/> with <see cref="IngestResponse"/>'s body.
/// </remarks>
public sealed partial class SegmentIngest
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = IngestOptions.ReaderMaxDepth };

    public SegmentIngest(IngestOptions? options = null)
    {
        Options = (options ?? new IngestOptions()).Validate();
    }

    public IngestOptions Options { get; }

    /// <summary>The largest body (after decompression) a call accepts: the batch limit or the event limit.</summary>
    public int MaxBodyBytes(SegmentCall call) => call == SegmentCall.Batch ? Options.MaxBatchBytes : Options.MaxEventBytes;

    /// <summary>Parses a body and hands every valid record to <paramref name="sink"/>.</summary>
    public IngestResult Parse(SegmentCall call, ReadOnlySpan<byte> body, in IngestContext context, IRecordSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return Parse(call, body, in context, ref sink);
    }

    /// <summary>
    /// Parses a body and hands every valid record to <paramref name="sink"/>, in body order. Never throws for any
    /// input: every problem is in the result. A struct sink is specialised by the JIT.
    /// </summary>
    public IngestResult Parse<TSink>(SegmentCall call, ReadOnlySpan<byte> body, in IngestContext context, ref TSink sink)
        where TSink : IRecordSink, allows ref struct
    {
        if (JsonFields.CheckBody(ref body, MaxBodyBytes(call)) is { } bodyError)
        {
            return IngestResult.Fail(bodyError);
        }

        var scratch = IngestScratch.Rent();
        try
        {
            scratch.ReserveArena(body.Length);
            scratch.ResetWriters();
            var parser = new Parser(Options, scratch, body, context.Protocol);
            return call == SegmentCall.Batch
                ? parser.ParseBatch(in context, ref sink)
                : parser.ParseSingle(call.ToEventType()!.Value, in context, ref sink);
        }
        catch (JsonException e)
        {
            return IngestResult.Fail(new IngestError(IngestErrorKind.InvalidJson, null, "The body is not valid JSON: " + e.Message));
        }
        finally
        {
            IngestScratch.Return(scratch);
        }
    }

    /// <summary>
    /// Finds the <c>writeKey</c> a body carries (top level; in a batch also the first item's), so the server can
    /// resolve the site before <see cref="Parse{TSink}"/>. False when there is none or the body is not JSON.
    /// </summary>
    public static bool TryFindWriteKey(ReadOnlySpan<byte> body, out string? writeKey)
    {
        writeKey = null;
        if (body.StartsWith("\uFEFF"u8))
        {
            body = body[3..];
        }

        try
        {
            var reader = new Utf8JsonReader(body, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            string? fromItem = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("writeKey"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > 0)
                    {
                        writeKey = reader.GetString();
                        return true;
                    }
                }
                else if (fromItem is null && reader.ValueTextEquals("batch"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray && reader.Read() &&
                        reader.TokenType == JsonTokenType.StartObject)
                    {
                        fromItem = FindInObject(ref reader);
                    }

                    reader.Skip();
                    while (reader.CurrentDepth > 1)
                    {
                        reader.Read();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            writeKey = fromItem;
            return writeKey is not null;
        }
        catch (JsonException)
        {
            writeKey = null;
            return false;
        }
        catch (InvalidOperationException)
        {
            writeKey = null;
            return false;
        }
    }

    private static string? FindInObject(ref Utf8JsonReader reader)
    {
        var depth = reader.CurrentDepth;
        string? found = null;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1 &&
                reader.ValueTextEquals("writeKey"u8))
            {
                reader.Read();
                if (found is null && reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > 0)
                {
                    found = reader.GetString();
                }
            }
        }

        return found;
    }

    internal static string Decode(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);
}
