namespace Weir.Core.Events;

/// <summary>
/// One canonical event, as a record in the log holds it (see docs/ingest.md for every field's source). Ingest writes
/// records straight from request bytes; this type is for the readers of the log (the loader, tests, tools) and for
/// producers that are not on a hot path. JSON-valued fields hold their raw JSON text.
/// </summary>
public sealed class CanonicalEvent
{
    /// <summary>The record format version (<c>v</c>).</summary>
    public int Version { get; set; } = CanonicalEventFields.CurrentVersion;

    public string MessageId { get; set; } = "";

    public string? SiteId { get; set; }

    public EventProtocol Protocol { get; set; }

    public EventType Type { get; set; }

    /// <summary>The event name: the track event's name, <c>pageview</c>, <c>screenview</c>, or the type's name.</summary>
    public string? Event { get; set; }

    /// <summary>The page's or screen's name (Segment's <c>name</c>).</summary>
    public string? Name { get; set; }

    public string? UserId { get; set; }

    public string? AnonymousId { get; set; }

    /// <summary>The group of a <c>group</c> call.</summary>
    public string? GroupId { get; set; }

    /// <summary>The former id of an <c>alias</c> call.</summary>
    public string? PreviousId { get; set; }

    /// <summary>The corrected event time.</summary>
    public DateTimeOffset Timestamp { get; set; }

    /// <summary>The time the client gave, as given (kept also when <see cref="Timestamp"/> was clamped).</summary>
    public DateTimeOffset? OriginalTimestamp { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    public string? Url { get; set; }

    public string? Host { get; set; }

    public string? Path { get; set; }

    /// <summary>The query string without its <c>?</c>.</summary>
    public string? Query { get; set; }

    public string? Title { get; set; }

    public string? Referrer { get; set; }

    public string? Locale { get; set; }

    public int? ScreenWidth { get; set; }

    public int? ScreenHeight { get; set; }

    /// <summary>The sending library as <c>name/version</c> (or just the name).</summary>
    public string? Library { get; set; }

    /// <summary>Raw input for the loader's enrichment; not a lake column.</summary>
    public string? UserAgent { get; set; }

    /// <summary>Raw input for the loader's enrichment (geo, visitor id); never stored in the lake.</summary>
    public string? Ip { get; set; }

    /// <summary>A JSON object, as text.</summary>
    public string? Properties { get; set; }

    /// <summary>A JSON object, as text.</summary>
    public string? Traits { get; set; }

    /// <summary>A JSON object, as text, without <c>ip</c> (which moves to <see cref="Ip"/>).</summary>
    public string? Context { get; set; }
}
