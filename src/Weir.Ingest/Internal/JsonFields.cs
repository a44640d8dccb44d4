using System.Text.Json;
using System.Text.Unicode;
using Weir.Core.Events;

namespace Weir.Ingest.Internal;

/// <summary>
/// Reads the typed fields every protocol has (ids, names, times, objects) from a reader positioned on the value, and
/// builds the errors that name them. Shared by the Segment, Plausible and PostHog parsers.
/// </summary>
internal static class JsonFields
{
    /// <summary>The client's name for a field: <c>userId</c>, or <c>batch[3].userId</c> inside a batch.</summary>
    public static string Path(int index, string? name) =>
        index < 0 ? name ?? "body" : name is null ? $"batch[{index}]" : $"batch[{index}].{name}";

    public static IngestError Missing(int index, string name, string message) =>
        new(IngestErrorKind.MissingField, Path(index, name), message, index);

    public static IngestError Invalid(int index, string name, string message) =>
        new(IngestErrorKind.InvalidField, Path(index, name), message, index);

    public static IngestError TooLong(int index, string name, int maxLength) =>
        new(IngestErrorKind.StringTooLong, Path(index, name), $"is longer than {maxLength} bytes.", index);

    /// <summary>
    /// Strips a byte order mark and checks the size, emptiness and UTF-8 of a body before any parse; null when the
    /// body may be parsed.
    /// </summary>
    public static IngestError? CheckBody(ref ReadOnlySpan<byte> body, int maxBytes)
    {
        if (body.Length > maxBytes)
        {
            return new IngestError(IngestErrorKind.BodyTooLarge, null, $"The body is larger than {maxBytes} bytes.");
        }

        if (body.StartsWith("\uFEFF"u8))
        {
            body = body[3..];
        }

        if (body.Trim(" \t\r\n"u8).IsEmpty)
        {
            return new IngestError(IngestErrorKind.EmptyBody, null, "The body is empty.");
        }

        return Utf8.IsValid(body) ? null : new IngestError(IngestErrorKind.InvalidUtf8, null, "The body is not valid UTF-8.");
    }

    /// <summary>A string (or, with <paramref name="allowNumber"/>, a number's text) of at most <paramref name="maxLength"/> bytes; null leaves it empty.</summary>
    public static IngestError? ReadText(
        scoped ref Utf8JsonReader reader,
        IngestScratch scratch,
        string name,
        int index,
        int maxLength,
        bool allowNumber,
        ref ReadOnlySpan<byte> value)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                value = default;
                return null;
            case JsonTokenType.String:
                if (reader.ValueSpan.Length > (reader.ValueIsEscaped ? 6 * maxLength : maxLength))
                {
                    return TooLong(index, name, maxLength);
                }

                if (!JsonScan.TryGetString(ref reader, scratch, out var text))
                {
                    return new IngestError(IngestErrorKind.InvalidField, Path(index, name), "holds an invalid Unicode escape.", index);
                }

                if (text.Length > maxLength)
                {
                    return TooLong(index, name, maxLength);
                }

                value = text;
                return null;
            case JsonTokenType.Number when allowNumber:
                if (reader.ValueSpan.Length > maxLength)
                {
                    return TooLong(index, name, maxLength);
                }

                value = reader.ValueSpan;
                return null;
            default:
                reader.Skip();
                return new IngestError(
                    IngestErrorKind.InvalidField, Path(index, name),
                    allowNumber ? "must be a string or a number." : "must be a string.", index);
        }
    }

    /// <summary>A write key: a plain (unescaped) string of at most 1024 bytes; the first one read wins.</summary>
    public static IngestError? ReadKey(ref Utf8JsonReader reader, string name, int index, ref ReadOnlySpan<byte> value)
    {
        if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && reader.ValueSpan.Length <= 1024)
        {
            if (value.IsEmpty)
            {
                value = reader.ValueSpan;
            }

            return null;
        }

        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        reader.Skip();
        return new IngestError(IngestErrorKind.InvalidField, Path(index, name), "must be a plain string of at most 1024 bytes.", index);
    }

    /// <summary>An ISO-8601 date-time string (<see cref="EventTime.TryParseIso8601"/>); null leaves it absent.</summary>
    public static IngestError? ReadTime(ref Utf8JsonReader reader, string name, int index, out DateTimeOffset? value)
    {
        value = null;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                {
                    Span<byte> buffer = stackalloc byte[64];
                    var raw = reader.ValueSpan;
                    scoped ReadOnlySpan<byte> text;
                    if (!reader.ValueIsEscaped)
                    {
                        text = raw;
                    }
                    else if (raw.Length <= buffer.Length && JsonScan.EscapesAreValid(raw))
                    {
                        text = buffer[..reader.CopyString(buffer)];
                    }
                    else
                    {
                        text = default;
                    }

                    if (EventTime.TryParseIso8601(text, out var parsed))
                    {
                        value = parsed;
                        return null;
                    }

                    return new IngestError(
                        IngestErrorKind.InvalidField, Path(index, name),
                        "must be an ISO-8601 date-time such as 2024-05-01T12:30:00.000Z.", index);
                }

            default:
                reader.Skip();
                return new IngestError(
                    IngestErrorKind.InvalidField, Path(index, name), "must be an ISO-8601 date-time string.", index);
        }
    }

    /// <summary>
    /// An object (or null), scanned for the limits and the fields of <paramref name="mode"/>; its raw JSON ends up in
    /// <see cref="Captured.Raw"/>. The reader ends on the object's end either way.
    /// </summary>
    public static IngestError? ReadObject(
        ref Utf8JsonReader reader,
        ReadOnlySpan<byte> source,
        IngestOptions options,
        IngestScratch scratch,
        string name,
        int index,
        CaptureMode mode,
        ref Captured captured)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return new IngestError(IngestErrorKind.InvalidField, Path(index, name), "must be an object.", index);
        }

        var baseDepth = reader.CurrentDepth;
        var scan = JsonScan.ScanObject(ref reader, source, options, scratch, mode, ref captured);
        if (scan == ScanError.None)
        {
            return null;
        }

        // Stopped inside the object: read on to its end.
        captured = default;
        while (!(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == baseDepth) && reader.Read())
        {
        }

        return ScanFailure(scan, options, name, index);
    }

    /// <summary>The error for a failed <see cref="JsonScan.ScanObject"/> of the field <paramref name="name"/>.</summary>
    public static IngestError ScanFailure(ScanError scan, IngestOptions options, string name, int index) => scan switch
    {
        ScanError.TooDeep => new IngestError(
            IngestErrorKind.TooDeep, Path(index, name), $"is nested deeper than {options.MaxDepth} levels.", index),
        ScanError.TooManyKeys => new IngestError(
            IngestErrorKind.TooManyKeys, Path(index, name), $"has more than {options.MaxKeys} keys.", index),
        ScanError.StringTooLong => new IngestError(
            IngestErrorKind.StringTooLong, Path(index, name),
            $"holds a string longer than {options.MaxStringLength} bytes.", index),
        _ => new IngestError(
            IngestErrorKind.InvalidField, Path(index, name), "holds an invalid Unicode escape.", index),
    };
}
