namespace Weir.Ingest;

/// <summary>Why ingest refused a body or an event. <see cref="IngestErrors.StatusCode"/> maps each to HTTP.</summary>
public enum IngestErrorKind
{
    /// <summary>The body is not one well-formed JSON value, or not the expected shape (400).</summary>
    InvalidJson = 1,

    /// <summary>The body is not valid UTF-8 (400).</summary>
    InvalidUtf8,

    /// <summary>The body is empty (400).</summary>
    EmptyBody,

    /// <summary>A field has the wrong JSON type or a value that cannot be read (400).</summary>
    InvalidField,

    /// <summary>A required field is missing or empty (400).</summary>
    MissingField,

    /// <summary>A string is longer than the limit (400).</summary>
    StringTooLong,

    /// <summary>An object has more keys than the limit (400).</summary>
    TooManyKeys,

    /// <summary>A value is nested deeper than the limit (400).</summary>
    TooDeep,

    /// <summary>One event is larger than the per-event limit (413).</summary>
    EventTooLarge,

    /// <summary>The (decompressed) body is larger than the limit (413).</summary>
    BodyTooLarge,

    /// <summary>The Content-Type is not JSON, text/plain or absent, or names a charset other than UTF-8 (415).</summary>
    UnsupportedMediaType,

    /// <summary>The Content-Encoding is not gzip, deflate, br or identity (415).</summary>
    UnsupportedEncoding,

    /// <summary>The compressed body is corrupt or truncated (400).</summary>
    CorruptEncoding,

    /// <summary>The record sink refused a record, e.g. under backpressure (503).</summary>
    Unavailable,

    /// <summary>No site has the domain an event names (Plausible's <c>domain</c>) (400).</summary>
    UnknownDomain,

    /// <summary>The site does not take events from the request's <c>Origin</c> (403).</summary>
    OriginNotAllowed,

    /// <summary>The site's write key sent more requests than its rate limit allows (429).</summary>
    RateLimited,
}

/// <summary>
/// One rejection. <see cref="Field"/> names the offending field as the client wrote it (<c>event</c>,
/// <c>batch[3].userId</c>, <c>p.plan</c>), or is null when the whole body is at fault. <see cref="Index"/> is the
/// position in the batch, or -1.
/// </summary>
public sealed record IngestError(IngestErrorKind Kind, string? Field, string Message, int Index = -1)
{
    /// <summary>The snake_case code of <see cref="Kind"/> (responses and metric labels).</summary>
    public string Code => IngestErrors.Code(Kind);

    /// <summary>The HTTP status for this error alone.</summary>
    public int StatusCode => IngestErrors.StatusCode(Kind);

    public override string ToString() => Field is null ? Message : $"{Field}: {Message}";
}

/// <summary>The mapping from error kinds to HTTP status codes and stable codes.</summary>
public static class IngestErrors
{
    /// <summary>
    /// 400 for bad input, 403 for a refused origin, 413 for too large, 415 for media type or encoding, 429 past the rate
    /// limit, 503 when the sink refused.
    /// </summary>
    public static int StatusCode(IngestErrorKind kind) => kind switch
    {
        IngestErrorKind.EventTooLarge or IngestErrorKind.BodyTooLarge => 413,
        IngestErrorKind.UnsupportedMediaType or IngestErrorKind.UnsupportedEncoding => 415,
        IngestErrorKind.Unavailable => 503,
        IngestErrorKind.OriginNotAllowed => 403,
        IngestErrorKind.RateLimited => 429,
        _ => 400,
    };

    /// <summary>A stable snake_case name for a kind.</summary>
    public static string Code(IngestErrorKind kind) => kind switch
    {
        IngestErrorKind.InvalidJson => "invalid_json",
        IngestErrorKind.InvalidUtf8 => "invalid_utf8",
        IngestErrorKind.EmptyBody => "empty_body",
        IngestErrorKind.InvalidField => "invalid_field",
        IngestErrorKind.MissingField => "missing_field",
        IngestErrorKind.StringTooLong => "string_too_long",
        IngestErrorKind.TooManyKeys => "too_many_keys",
        IngestErrorKind.TooDeep => "too_deep",
        IngestErrorKind.EventTooLarge => "event_too_large",
        IngestErrorKind.BodyTooLarge => "body_too_large",
        IngestErrorKind.UnsupportedMediaType => "unsupported_media_type",
        IngestErrorKind.UnsupportedEncoding => "unsupported_encoding",
        IngestErrorKind.CorruptEncoding => "corrupt_encoding",
        IngestErrorKind.Unavailable => "unavailable",
        IngestErrorKind.UnknownDomain => "unknown_domain",
        IngestErrorKind.OriginNotAllowed => "origin_not_allowed",
        IngestErrorKind.RateLimited => "rate_limited",
        _ => "unknown",
    };
}
