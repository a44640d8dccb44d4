namespace Weir.Client;

/// <summary>The optional parts of one call: who else it is about, when it happened, and its context.</summary>
/// <remarks>A struct, so a call that sets none of them allocates nothing for them.</remarks>
public readonly record struct EventOptions
{
    /// <summary>The anonymous id, with or instead of the user id (every call needs one of the two).</summary>
    public string? AnonymousId { get; init; }

    /// <summary>When the event happened. Default: when the call was made.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>
    /// The event's unique id, which the server uses to drop repeats. Default: a new UUIDv7. Give your own to make
    /// retries of your own (for example after a crash) idempotent.
    /// </summary>
    public string? MessageId { get; init; }

    /// <summary>
    /// The end user's IP address, which the server's geo lookup uses; without it the server uses the address the
    /// request came from, that is, your server's.
    /// </summary>
    public string? Ip { get; init; }

    /// <summary>The end user's browser User-Agent, for the server's browser, device and bot detection.</summary>
    public string? UserAgent { get; init; }

    /// <summary>
    /// More of Segment's context (<c>page</c>, <c>locale</c>, <c>campaign</c>, …). <c>library</c> is always the
    /// client's own; <see cref="Ip"/> and <see cref="UserAgent"/> win over <c>ip</c> and <c>userAgent</c> here.
    /// </summary>
    public IReadOnlyDictionary<string, object?>? Context { get; init; }
}
