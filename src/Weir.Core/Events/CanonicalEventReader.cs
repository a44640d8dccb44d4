using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using F = Weir.Core.Events.CanonicalEventFields;

namespace Weir.Core.Events;

/// <summary>
/// Reads canonical event records (one JSON object each) back into <see cref="CanonicalEvent"/>. Unknown keys are
/// skipped, so newer writers stay readable; a missing key reads as null. A record must have <c>message_id</c>,
/// <c>type</c>, <c>protocol</c>, <c>timestamp</c> and <c>received_at</c>.
/// </summary>
public static class CanonicalEventReader
{
    /// <summary>Reads one record; throws <see cref="FormatException"/> when it is not a valid record.</summary>
    public static CanonicalEvent Read(ReadOnlySpan<byte> record) =>
        TryRead(record, out var value, out var error) ? value : throw new FormatException(error);

    /// <summary>Reads one record; on failure returns false and says why.</summary>
    public static bool TryRead(
        ReadOnlySpan<byte> record,
        [NotNullWhen(true)] out CanonicalEvent? value,
        [NotNullWhen(false)] out string? error)
    {
        value = null;
        try
        {
            return TryReadCore(record, out value, out error);
        }
        catch (JsonException e)
        {
            error = "The record is not valid JSON: " + e.Message;
            return false;
        }
        catch (InvalidOperationException e)
        {
            error = "The record holds an invalid value: " + e.Message;
            return false;
        }
    }

    private static bool TryReadCore(ReadOnlySpan<byte> record, out CanonicalEvent? value, out string? error)
    {
        value = null;
        var reader = new Utf8JsonReader(record, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = "A record must be a JSON object.";
            return false;
        }

        var e = new CanonicalEvent { Version = 1 };
        bool hasId = false, hasType = false, hasProtocol = false, hasTimestamp = false, hasReceived = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = Identify(ref reader);
            reader.Read();
            var isNull = reader.TokenType == JsonTokenType.Null;
            switch (field)
            {
                case Field.Version:
                    e.Version = isNull ? 1 : reader.GetInt32();
                    break;
                case Field.MessageId:
                    e.MessageId = reader.GetString() ?? "";
                    hasId = e.MessageId.Length > 0;
                    break;
                case Field.SiteId: e.SiteId = reader.GetString(); break;
                case Field.Protocol:
                    if (!isNull && EventNames.TryParseProtocol(reader.ValueSpan, out var protocol))
                    {
                        e.Protocol = protocol;
                        hasProtocol = true;
                    }

                    break;
                case Field.Type:
                    if (!isNull && EventNames.TryParseType(reader.ValueSpan, out var type))
                    {
                        e.Type = type;
                        hasType = true;
                    }

                    break;
                case Field.Event: e.Event = reader.GetString(); break;
                case Field.Name: e.Name = reader.GetString(); break;
                case Field.UserId: e.UserId = reader.GetString(); break;
                case Field.AnonymousId: e.AnonymousId = reader.GetString(); break;
                case Field.GroupId: e.GroupId = reader.GetString(); break;
                case Field.PreviousId: e.PreviousId = reader.GetString(); break;
                case Field.Timestamp:
                    if (!isNull && TryTime(ref reader, out var timestamp))
                    {
                        e.Timestamp = timestamp;
                        hasTimestamp = true;
                    }

                    break;
                case Field.OriginalTimestamp: e.OriginalTimestamp = OptionalTime(ref reader); break;
                case Field.SentAt: e.SentAt = OptionalTime(ref reader); break;
                case Field.ReceivedAt:
                    if (!isNull && TryTime(ref reader, out var received))
                    {
                        e.ReceivedAt = received;
                        hasReceived = true;
                    }

                    break;
                case Field.Url: e.Url = reader.GetString(); break;
                case Field.Host: e.Host = reader.GetString(); break;
                case Field.Path: e.Path = reader.GetString(); break;
                case Field.Query: e.Query = reader.GetString(); break;
                case Field.Title: e.Title = reader.GetString(); break;
                case Field.Referrer: e.Referrer = reader.GetString(); break;
                case Field.Locale: e.Locale = reader.GetString(); break;
                case Field.ScreenWidth: e.ScreenWidth = isNull ? null : reader.GetInt32(); break;
                case Field.ScreenHeight: e.ScreenHeight = isNull ? null : reader.GetInt32(); break;
                case Field.Library: e.Library = reader.GetString(); break;
                case Field.UserAgent: e.UserAgent = reader.GetString(); break;
                case Field.Ip: e.Ip = reader.GetString(); break;
                case Field.Properties: e.Properties = Raw(ref reader, record); break;
                case Field.Traits: e.Traits = Raw(ref reader, record); break;
                case Field.Context: e.Context = Raw(ref reader, record); break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            error = "A record must be one JSON object.";
            return false;
        }

        error = !hasId ? "The record has no message_id."
            : !hasType ? "The record has no valid type."
            : !hasProtocol ? "The record has no valid protocol."
            : !hasTimestamp ? "The record has no valid timestamp."
            : !hasReceived ? "The record has no valid received_at."
            : null;
        if (error is not null)
        {
            return false;
        }

        value = e;
        return true;
    }

    private static bool TryTime(ref Utf8JsonReader reader, out DateTimeOffset value)
    {
        if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
        {
            return EventTime.TryParseIso8601(reader.ValueSpan, out value);
        }

        value = default;
        return false;
    }

    private static DateTimeOffset? OptionalTime(ref Utf8JsonReader reader) =>
        TryTime(ref reader, out var value) ? value : null;

    private static string? Raw(ref Utf8JsonReader reader, ReadOnlySpan<byte> record)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return Encoding.UTF8.GetString(record[start..(int)reader.BytesConsumed]);
    }

    private enum Field
    {
        Unknown, Version, MessageId, SiteId, Protocol, Type, Event, Name, UserId, AnonymousId, GroupId, PreviousId,
        Timestamp, OriginalTimestamp, SentAt, ReceivedAt, Url, Host, Path, Query, Title, Referrer, Locale, ScreenWidth,
        ScreenHeight, Library, UserAgent, Ip, Properties, Traits, Context,
    }

    private static readonly JsonEncodedText[] Names =
    [
        default, F.Version, F.MessageId, F.SiteId, F.Protocol, F.Type, F.Event, F.Name, F.UserId, F.AnonymousId,
        F.GroupId, F.PreviousId, F.Timestamp, F.OriginalTimestamp, F.SentAt, F.ReceivedAt, F.Url, F.Host, F.Path,
        F.Query, F.Title, F.Referrer, F.Locale, F.ScreenWidth, F.ScreenHeight, F.Library, F.UserAgent, F.Ip,
        F.Properties, F.Traits, F.Context,
    ];

    private static Field Identify(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped)
        {
            for (var i = 1; i < Names.Length; i++)
            {
                if (reader.ValueTextEquals(Names[i].EncodedUtf8Bytes))
                {
                    return (Field)i;
                }
            }

            return Field.Unknown;
        }

        var name = reader.ValueSpan;
        for (var i = 1; i < Names.Length; i++)
        {
            var candidate = Names[i].EncodedUtf8Bytes;
            if (candidate.Length == name.Length && candidate.SequenceEqual(name))
            {
                return (Field)i;
            }
        }

        return Field.Unknown;
    }
}
