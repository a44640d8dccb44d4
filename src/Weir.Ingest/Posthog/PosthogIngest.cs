using System.Text.Json;
using Weir.Ingest.Internal;

namespace Weir.Ingest.Posthog;

/// <summary>
/// Parses PostHog capture bodies (<c>/e/</c>, <c>/i/v0/e/</c>, <c>/capture/</c>, <c>/batch/</c>) into canonical event
/// records (protocol <c>posthog</c>): a single event object, a <c>{"api_key", "batch": […], "sent_at"}</c> envelope, or
/// a JSON array of events. Thread-safe; one instance serves the server. Decode the body first with
/// <see cref="PosthogBody"/> (gzip-js, base64 and form bodies); see docs/ingest.md, "Compatibility endpoints".
/// </summary>
public sealed partial class PosthogIngest
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = IngestOptions.ReaderMaxDepth };

    public PosthogIngest(IngestOptions? options = null)
    {
        Options = (options ?? new IngestOptions()).Validate();
    }

    public IngestOptions Options { get; }

    /// <summary>Any capture body may be a batch (posthog-js sends one even for a single event).</summary>
    public int MaxBodyBytes => Options.MaxBatchBytes;

    /// <summary>Parses a body for a class sink (tests, tools).</summary>
    public IngestResult Parse(ReadOnlySpan<byte> body, in IngestContext context, IRecordSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return Parse(body, in context, ref sink);
    }

    /// <summary>
    /// Parses a decoded body and hands every valid record to <paramref name="sink"/>, in body order. Never throws for
    /// any input. In a batch or array, invalid events are reported by index and the valid ones kept, as for Segment.
    /// </summary>
    public IngestResult Parse<TSink>(ReadOnlySpan<byte> body, in IngestContext context, ref TSink sink)
        where TSink : IRecordSink, allows ref struct
    {
        if (JsonFields.CheckBody(ref body, MaxBodyBytes) is { } bodyError)
        {
            return IngestResult.Fail(bodyError);
        }

        var scratch = IngestScratch.Rent();
        try
        {
            scratch.ReserveArena(body.Length);
            scratch.ResetWriters();
            var parser = new Parser(Options, scratch, body, context.ReceivedAt);
            return parser.Parse(in context, ref sink);
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
    /// Finds the project key a body carries, so the server can resolve the site first: <c>api_key</c> or
    /// <c>token</c> at the top, else on the first event, else the first event's <c>properties.token</c>. False when
    /// there is none or the body is not JSON.
    /// </summary>
    public static bool TryFindApiKey(ReadOnlySpan<byte> body, out string? apiKey)
    {
        apiKey = null;
        if (body.StartsWith("\uFEFF"u8))
        {
            body = body[3..];
        }

        try
        {
            var reader = new Utf8JsonReader(body, ReaderOptions);
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType == JsonTokenType.StartArray)
            {
                return reader.Read() && reader.TokenType == JsonTokenType.StartObject && FindInEvent(ref reader, out apiKey);
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            string? fromEvent = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (IsKeyName(ref reader))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > 0)
                    {
                        apiKey = reader.GetString();
                        return true;
                    }

                    reader.Skip();
                }
                else if (reader.ValueTextEquals("batch"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        reader.Skip();
                        continue;
                    }

                    var arrayDepth = reader.CurrentDepth;
                    if (reader.Read() && reader.TokenType == JsonTokenType.StartObject && FindInEvent(ref reader, out var key))
                    {
                        fromEvent ??= key;
                    }

                    while (!(reader.TokenType == JsonTokenType.EndArray && reader.CurrentDepth == arrayDepth) && reader.Read())
                    {
                    }
                }
                else if (reader.ValueTextEquals("properties"u8))
                {
                    // A single event: its properties may hold the token.
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject && FindToken(ref reader, out var token))
                    {
                        fromEvent ??= token;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            apiKey = fromEvent;
            return apiKey is not null;
        }
        catch (JsonException)
        {
            apiKey = null;
            return false;
        }
        catch (InvalidOperationException)
        {
            apiKey = null;
            return false;
        }
    }

    /// <summary>
    /// Why a body is not even JSON, or null when it is: without a key the server answers this rather than a 401, so a
    /// corrupt body is reported as one.
    /// </summary>
    public IngestError? CheckSyntax(ReadOnlySpan<byte> body)
    {
        if (JsonFields.CheckBody(ref body, MaxBodyBytes) is { } error)
        {
            return error;
        }

        try
        {
            var reader = new Utf8JsonReader(body, ReaderOptions);
            reader.Read();
            reader.Skip();
            reader.Read();
            return null;
        }
        catch (JsonException e)
        {
            return new IngestError(IngestErrorKind.InvalidJson, null, "The body is not valid JSON: " + e.Message);
        }
    }

    private static bool IsKeyName(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("api_key"u8) || reader.ValueTextEquals("token"u8);

    /// <summary>The reader is on an event's start; it ends on the event's end.</summary>
    private static bool FindInEvent(ref Utf8JsonReader reader, out string? key)
    {
        key = null;
        string? fromProperties = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (IsKeyName(ref reader))
            {
                reader.Read();
                if (key is null && reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > 0)
                {
                    key = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("properties"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject && FindToken(ref reader, out var token))
                {
                    fromProperties ??= token;
                }
                else
                {
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        key ??= fromProperties;
        return key is not null;
    }

    /// <summary>The reader is on a properties object's start; it ends on its end.</summary>
    private static bool FindToken(ref Utf8JsonReader reader, out string? token)
    {
        token = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isToken = reader.ValueTextEquals("token"u8);
            reader.Read();
            if (isToken && token is null && reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > 0)
            {
                token = reader.GetString();
            }
            else
            {
                reader.Skip();
            }
        }

        return token is not null;
    }
}
