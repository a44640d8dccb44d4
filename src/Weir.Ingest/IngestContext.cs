using Weir.Core.Events;

namespace Weir.Ingest;

/// <summary>
/// What the server knows about a request that the body does not say. <see cref="ReceivedAt"/> comes from the server's
/// <see cref="TimeProvider"/>; <see cref="UserAgent"/> and <see cref="Ip"/> from the request (the client's own
/// <c>context.userAgent</c> and <c>context.ip</c> win over them, as in Segment).
/// </summary>
public readonly record struct IngestContext
{
    public IngestContext(DateTimeOffset receivedAt)
    {
        ReceivedAt = EventTime.TruncateToMicroseconds(receivedAt.ToUniversalTime());
    }

    /// <summary>The server's receive time, truncated to microseconds, in UTC.</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>The site the write key belongs to; written as <c>site_id</c> (null leaves it out).</summary>
    public string? SiteId { get; init; }

    /// <summary>The request's <c>User-Agent</c> header.</summary>
    public string? UserAgent { get; init; }

    /// <summary>The client address as the server resolved it (connection or trusted forwarding header).</summary>
    public string? Ip { get; init; }

    /// <summary>The <c>protocol</c> written into records; the server may mark its own tracker or SDK traffic.</summary>
    public EventProtocol Protocol { get; init; }
}
