using System.Text.Json;
using F = Weir.Core.Events.CanonicalEventFields;

namespace Weir.Lake.Hot;

/// <summary>
/// The keys of a canonical record that <see cref="RecordDecoder"/> understands. The values are in the order
/// <see cref="Weir.Core.Events.CanonicalEventWriter"/> writes them, which the decoder exploits to find each key with
/// one comparison. <c>v</c> is not among them: the format only ever adds keys, so the decoder needs no version.
/// </summary>
public enum RecordField
{
    MessageId,
    SiteId,
    Protocol,
    Type,
    Event,
    Name,
    UserId,
    AnonymousId,
    GroupId,
    PreviousId,
    Timestamp,
    OriginalTimestamp,
    SentAt,
    ReceivedAt,
    Url,
    Host,
    Path,
    Query,
    Title,
    Referrer,
    Locale,
    ScreenWidth,
    ScreenHeight,
    Library,

    /// <summary>Input for enrichment only; never a lake column.</summary>
    UserAgent,

    /// <summary>Input for enrichment only; never a lake column (the IP must not reach the lake).</summary>
    Ip,
    Properties,
    Traits,
    Context,
}

/// <summary>How a record field's value is shaped, which decides how it is read and appended.</summary>
internal enum FieldKind
{
    Text,
    Time,
    Int32,
    JsonObject,
}

/// <summary>Static facts about <see cref="RecordField"/>: key names, kinds and the reasons for refusing a value.</summary>
internal static class RecordFields
{
    public const int Count = (int)RecordField.Context + 1;

    /// <summary>The record keys, which are also the column names of the fields that are stored.</summary>
    public static readonly JsonEncodedText[] Names =
    [
        F.MessageId, F.SiteId, F.Protocol, F.Type, F.Event, F.Name, F.UserId, F.AnonymousId, F.GroupId, F.PreviousId,
        F.Timestamp, F.OriginalTimestamp, F.SentAt, F.ReceivedAt, F.Url, F.Host, F.Path, F.Query, F.Title, F.Referrer,
        F.Locale, F.ScreenWidth, F.ScreenHeight, F.Library, F.UserAgent, F.Ip, F.Properties, F.Traits, F.Context,
    ];

    public static readonly FieldKind[] Kinds = BuildKinds();

    // Built once, so refusing a record costs no string formatting.
    public static readonly string[] BadValue = BuildBadValue();

    public static string NameOf(RecordField field) => Names[(int)field].Value;

    private static FieldKind[] BuildKinds()
    {
        var kinds = new FieldKind[Count];
        kinds[(int)RecordField.Timestamp] = FieldKind.Time;
        kinds[(int)RecordField.OriginalTimestamp] = FieldKind.Time;
        kinds[(int)RecordField.SentAt] = FieldKind.Time;
        kinds[(int)RecordField.ReceivedAt] = FieldKind.Time;
        kinds[(int)RecordField.ScreenWidth] = FieldKind.Int32;
        kinds[(int)RecordField.ScreenHeight] = FieldKind.Int32;
        kinds[(int)RecordField.Properties] = FieldKind.JsonObject;
        kinds[(int)RecordField.Traits] = FieldKind.JsonObject;
        kinds[(int)RecordField.Context] = FieldKind.JsonObject;
        return kinds;
    }

    private static string[] BuildBadValue()
    {
        var messages = new string[Count];
        for (var i = 0; i < Count; i++)
        {
            var name = Names[i].Value;
            messages[i] = Kinds[i] switch
            {
                FieldKind.Time => $"The record's {name} is not a valid time (yyyy-MM-ddTHH:mm:ss.ffffffZ).",
                FieldKind.Int32 => $"The record's {name} is not a 32-bit integer.",
                FieldKind.JsonObject => $"The record's {name} is not a JSON object.",
                _ => $"The record's {name} is not a string.",
            };
        }

        return messages;
    }
}
