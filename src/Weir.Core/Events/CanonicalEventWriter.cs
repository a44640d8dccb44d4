using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using F = Weir.Core.Events.CanonicalEventFields;

namespace Weir.Core.Events;

/// <summary>
/// Writes canonical event records. Every producer uses <see cref="WriterOptions"/>, so records are compact UTF-8
/// (non-ASCII text is not escaped). Absent (null) fields are left out of the record; readers treat a missing key as
/// null.
/// </summary>
public static class CanonicalEventWriter
{
    /// <summary>Compact, UTF-8 kept as is, no structural validation (writers emit a fixed shape).</summary>
    public static JsonWriterOptions WriterOptions { get; } = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = true,
    };

    /// <summary>Writes a timestamp field in the record format (UTC, microseconds).</summary>
    public static void WriteTimestamp(Utf8JsonWriter writer, JsonEncodedText name, DateTimeOffset value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        // Digits and separators only: written as a raw, quoted value, without the writer's escaping scan.
        Span<byte> buffer = stackalloc byte[EventTime.FormattedLength + 2];
        buffer[0] = (byte)'"';
        EventTime.FormatUtf8(value, buffer[1..]);
        buffer[^1] = (byte)'"';
        writer.WritePropertyName(name);
        writer.WriteRawValue(buffer, skipInputValidation: true);
    }

    /// <summary>Writes <paramref name="value"/> as one record (a JSON object) to <paramref name="writer"/>.</summary>
    public static void Write(Utf8JsonWriter writer, CanonicalEvent value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartObject();
        writer.WriteNumber(F.Version, value.Version);
        writer.WriteString(F.MessageId, value.MessageId);
        WriteOptional(writer, F.SiteId, value.SiteId);
        writer.WriteString(F.Protocol, value.Protocol.Utf8Name());
        writer.WriteString(F.Type, value.Type.Utf8Name());
        WriteOptional(writer, F.Event, value.Event);
        WriteOptional(writer, F.Name, value.Name);
        WriteOptional(writer, F.UserId, value.UserId);
        WriteOptional(writer, F.AnonymousId, value.AnonymousId);
        WriteOptional(writer, F.GroupId, value.GroupId);
        WriteOptional(writer, F.PreviousId, value.PreviousId);
        WriteTimestamp(writer, F.Timestamp, value.Timestamp);
        if (value.OriginalTimestamp is { } original)
        {
            WriteTimestamp(writer, F.OriginalTimestamp, original);
        }

        if (value.SentAt is { } sentAt)
        {
            WriteTimestamp(writer, F.SentAt, sentAt);
        }

        WriteTimestamp(writer, F.ReceivedAt, value.ReceivedAt);
        WriteOptional(writer, F.Url, value.Url);
        WriteOptional(writer, F.Host, value.Host);
        WriteOptional(writer, F.Path, value.Path);
        WriteOptional(writer, F.Query, value.Query);
        WriteOptional(writer, F.Title, value.Title);
        WriteOptional(writer, F.Referrer, value.Referrer);
        WriteOptional(writer, F.Locale, value.Locale);
        if (value.ScreenWidth is { } width)
        {
            writer.WriteNumber(F.ScreenWidth, width);
        }

        if (value.ScreenHeight is { } height)
        {
            writer.WriteNumber(F.ScreenHeight, height);
        }

        WriteOptional(writer, F.Library, value.Library);
        WriteOptional(writer, F.UserAgent, value.UserAgent);
        WriteOptional(writer, F.Ip, value.Ip);
        WriteRawOptional(writer, F.Properties, value.Properties);
        WriteRawOptional(writer, F.Traits, value.Traits);
        WriteRawOptional(writer, F.Context, value.Context);
        writer.WriteEndObject();
    }

    /// <summary>Writes <paramref name="value"/> as one record into <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, CanonicalEvent value)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        Write(writer, value);
    }

    /// <summary>The record of <paramref name="value"/> as a new array (tests, tools).</summary>
    public static byte[] ToUtf8(CanonicalEvent value)
    {
        using var buffer = new PooledBufferWriter();
        Write(buffer, value);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteOptional(Utf8JsonWriter writer, JsonEncodedText name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteRawOptional(Utf8JsonWriter writer, JsonEncodedText name, string? json)
    {
        if (json is not null)
        {
            writer.WritePropertyName(name);
            writer.WriteRawValue(json, skipInputValidation: false);
        }
    }
}
