using System.Text.Json;

namespace Weir.Core.Events;

/// <summary>
/// The keys of a canonical event record, in the order writers emit them. They are the snake_case column names of the
/// <c>events</c> view (see docs/ingest.md), plus <c>v</c> (the record format version) and two raw inputs for the
/// loader's enrichment (<c>user_agent</c>, <c>ip</c>) that never reach the lake as such.
/// </summary>
public static class CanonicalEventFields
{
    /// <summary>The record format version this code writes. Readers accept records without <c>v</c> as version 1.</summary>
    public const int CurrentVersion = 1;

    public static readonly JsonEncodedText Version = JsonEncodedText.Encode("v");
    public static readonly JsonEncodedText MessageId = JsonEncodedText.Encode("message_id");
    public static readonly JsonEncodedText SiteId = JsonEncodedText.Encode("site_id");
    public static readonly JsonEncodedText Protocol = JsonEncodedText.Encode("protocol");
    public static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
    public static readonly JsonEncodedText Event = JsonEncodedText.Encode("event");
    public static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
    public static readonly JsonEncodedText UserId = JsonEncodedText.Encode("user_id");
    public static readonly JsonEncodedText AnonymousId = JsonEncodedText.Encode("anonymous_id");
    public static readonly JsonEncodedText GroupId = JsonEncodedText.Encode("group_id");
    public static readonly JsonEncodedText PreviousId = JsonEncodedText.Encode("previous_id");
    public static readonly JsonEncodedText Timestamp = JsonEncodedText.Encode("timestamp");
    public static readonly JsonEncodedText OriginalTimestamp = JsonEncodedText.Encode("original_timestamp");
    public static readonly JsonEncodedText SentAt = JsonEncodedText.Encode("sent_at");
    public static readonly JsonEncodedText ReceivedAt = JsonEncodedText.Encode("received_at");
    public static readonly JsonEncodedText Url = JsonEncodedText.Encode("url");
    public static readonly JsonEncodedText Host = JsonEncodedText.Encode("host");
    public static readonly JsonEncodedText Path = JsonEncodedText.Encode("path");
    public static readonly JsonEncodedText Query = JsonEncodedText.Encode("query");
    public static readonly JsonEncodedText Title = JsonEncodedText.Encode("title");
    public static readonly JsonEncodedText Referrer = JsonEncodedText.Encode("referrer");
    public static readonly JsonEncodedText Locale = JsonEncodedText.Encode("locale");
    public static readonly JsonEncodedText ScreenWidth = JsonEncodedText.Encode("screen_width");
    public static readonly JsonEncodedText ScreenHeight = JsonEncodedText.Encode("screen_height");
    public static readonly JsonEncodedText Library = JsonEncodedText.Encode("library");
    public static readonly JsonEncodedText UserAgent = JsonEncodedText.Encode("user_agent");
    public static readonly JsonEncodedText Ip = JsonEncodedText.Encode("ip");
    public static readonly JsonEncodedText Properties = JsonEncodedText.Encode("properties");
    public static readonly JsonEncodedText Traits = JsonEncodedText.Encode("traits");
    public static readonly JsonEncodedText Context = JsonEncodedText.Encode("context");

    /// <summary>
    /// Columns of the <c>events</c> view that the loader fills during enrichment; no record carries them.
    /// </summary>
    public static IReadOnlyList<string> LoaderColumns { get; } =
    [
        "visitor_id", "session_id", "referrer_host", "source", "utm_source", "utm_medium", "utm_campaign", "utm_term",
        "utm_content", "country", "region", "city", "browser", "browser_version", "os", "os_version", "device_type",
        "is_bot",
    ];
}
