using Weir.Core.Events;

namespace Weir.Ingest.Internal;

/// <summary>
/// Everything one record needs, as spans over the request (or the arena). Empty spans are absent fields. Protocol
/// adapters fill it; <see cref="RecordWriter"/> writes it.
/// </summary>
internal ref struct RecordFields
{
    public EventType Type;
    public ReadOnlySpan<byte> MessageId;
    public ReadOnlySpan<byte> Event;
    public ReadOnlySpan<byte> Name;
    public ReadOnlySpan<byte> UserId;
    public ReadOnlySpan<byte> AnonymousId;
    public ReadOnlySpan<byte> GroupId;
    public ReadOnlySpan<byte> PreviousId;
    public DateTimeOffset? ClientTimestamp;
    public DateTimeOffset? SentAt;
    public ReadOnlySpan<byte> Url;
    public ReadOnlySpan<byte> Path;
    public ReadOnlySpan<byte> Query;
    public ReadOnlySpan<byte> Title;
    public ReadOnlySpan<byte> Referrer;
    public ReadOnlySpan<byte> Locale;
    public int ScreenWidth;
    public int ScreenHeight;
    public ReadOnlySpan<byte> LibraryName;
    public ReadOnlySpan<byte> LibraryVersion;
    public ReadOnlySpan<byte> UserAgent;
    public ReadOnlySpan<byte> Ip;

    /// <summary>Raw JSON objects, copied as they are.</summary>
    public ReadOnlySpan<byte> Properties;

    /// <summary>The properties have a top-level <c>$ip</c> key (PostHog's), which the record moves out like context's <c>ip</c>.</summary>
    public bool PropertiesHasIp;

    public ReadOnlySpan<byte> Traits;

    /// <summary>The event's own context object and whether it has an <c>ip</c> key.</summary>
    public ReadOnlySpan<byte> Context;
    public bool ContextHasIp;

    /// <summary>The batch's context, merged under the event's (the event's keys win).</summary>
    public ReadOnlySpan<byte> BatchContext;
    public bool BatchContextHasIp;
}
