using System.Buffers;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Weir.Client.Events;

/// <summary>
/// Writes one call as the Segment event JSON the server takes, at the moment of the call, so that later changes to
/// the caller's dictionaries cannot reach the event.
/// </summary>
internal sealed class EventWriter
{
    /// <summary>The client's name in every event's <c>context.library</c>.</summary>
    public const string LibraryName = "Weir.Client";

    // A scratch buffer that grew for one huge event is not kept for the thread's lifetime.
    private const int MaxKeptScratchBytes = 64 * 1024;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // The JSON goes to an API, not into HTML: non-ASCII text and '<' stay as they are, as in the stored record.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // Deep enough for any real payload, and stops a dictionary that contains itself.
        MaxDepth = 64,
    };

    [ThreadStatic]
    private static Scratch? _scratch;

    private readonly JsonSerializerOptions? _serializer;

    public EventWriter(JsonSerializerOptions? serializer) => _serializer = serializer;

    /// <summary>The client's version in <c>context.library</c>: its informational version without build metadata.</summary>
    public static string LibraryVersion { get; } = ReadVersion();

    /// <summary>
    /// Writes the event; returns false with its size when it is over <paramref name="maxBytes"/>, and otherwise the
    /// JSON in a pooled array.
    /// </summary>
    /// <exception cref="NotSupportedException">A value the client cannot write.</exception>
    /// <exception cref="InvalidOperationException">Nesting past 64 levels, or a collection changed while it was read.</exception>
    public bool TryWrite(EventType type, string? userId, string? text, IReadOnlyDictionary<string, object?>? members, in EventOptions options,
        DateTimeOffset now, long timestamp, int maxBytes, out QueuedEvent queued, out int size)
    {
        // A value serializer that calls back into the client on this thread gets a scratch of its own.
        var scratch = _scratch is { InUse: false } cached ? cached : new Scratch();
        _scratch = scratch;
        scratch.InUse = true;
        try
        {
            var writer = scratch.Begin();
            Write(writer, type, userId, text, members, in options, now);
            writer.Flush();
            var json = scratch.Buffer.WrittenSpan;
            size = json.Length;
            if (size > maxBytes)
            {
                queued = default;
                return false;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(size);
            json.CopyTo(buffer);
            queued = new QueuedEvent(buffer, size, timestamp);
            return true;
        }
        finally
        {
            scratch.End();
            if (scratch.Buffer.Capacity > MaxKeptScratchBytes)
            {
                _scratch = null;
            }
        }
    }

    private void Write(Utf8JsonWriter writer, EventType type, string? userId, string? text, IReadOnlyDictionary<string, object?>? members, in EventOptions options,
        DateTimeOffset now)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, EventTypes.Name(type));
        if (options.MessageId is { Length: > 0 } messageId)
        {
            writer.WriteString("messageId"u8, messageId);
        }
        else
        {
            // Time-ordered, so the ids of one client sort roughly by when the events happened.
            writer.WriteString("messageId"u8, Guid.CreateVersion7(now));
        }

        writer.WriteString("timestamp"u8, (options.Timestamp ?? now).ToUniversalTime());
        if (!string.IsNullOrEmpty(userId))
        {
            writer.WriteString("userId"u8, userId);
        }

        if (!string.IsNullOrEmpty(options.AnonymousId))
        {
            writer.WriteString("anonymousId"u8, options.AnonymousId);
        }

        if (text is not null && EventTypes.TextField(type) is { IsEmpty: false } textField)
        {
            writer.WriteString(textField, text);
        }

        if (members is not null && EventTypes.ObjectField(type) is { IsEmpty: false } objectField)
        {
            writer.WriteStartObject(objectField);
            ValueWriter.WriteMembers(writer, members, _serializer);
            writer.WriteEndObject();
        }

        WriteContext(writer, in options);
        writer.WriteEndObject();
    }

    private void WriteContext(Utf8JsonWriter writer, in EventOptions options)
    {
        writer.WriteStartObject("context"u8);
        writer.WriteStartObject("library"u8);
        writer.WriteString("name"u8, LibraryName);
        writer.WriteString("version"u8, LibraryVersion);
        writer.WriteEndObject();
        if (options.Ip is not null)
        {
            writer.WriteString("ip"u8, options.Ip);
        }

        if (options.UserAgent is not null)
        {
            writer.WriteString("userAgent"u8, options.UserAgent);
        }

        if (options.Context is { } context)
        {
            foreach (var (key, value) in context)
            {
                // Each key once: the library is the client's, and the explicit options win.
                if (key == "library" || (key == "ip" && options.Ip is not null) || (key == "userAgent" && options.UserAgent is not null))
                {
                    continue;
                }

                writer.WritePropertyName(key);
                ValueWriter.WriteValue(writer, value, _serializer);
            }
        }

        writer.WriteEndObject();
    }

    private static string ReadVersion()
    {
        var version = typeof(EventWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var metadata = version.IndexOf('+', StringComparison.Ordinal);
        return metadata < 0 ? version : version[..metadata];
    }

    /// <summary>A thread's reusable buffer and JSON writer.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Lives as long as its thread; the writer holds only managed memory")]
    private sealed class Scratch
    {
        private Utf8JsonWriter? _writer;

        public ArrayBufferWriter<byte> Buffer { get; } = new(1024);

        public bool InUse { get; set; }

        public Utf8JsonWriter Begin()
        {
            Buffer.ResetWrittenCount();
            if (_writer is null)
            {
                _writer = new Utf8JsonWriter(Buffer, WriterOptions);
            }
            else
            {
                _writer.Reset(Buffer);
            }

            return _writer;
        }

        public void End() => InUse = false;
    }
}
