namespace Weir.Core.Sites;

/// <summary>A website or app that sends events. Its write key authenticates ingest; it is not a secret to browsers.</summary>
public sealed record Site
{
    public required string Id { get; init; }

    public required string Domain { get; init; }

    /// <summary>An IANA time zone, e.g. <c>Europe/Berlin</c>: reports' days begin at midnight there.</summary>
    public required string Timezone { get; init; }

    public required string WriteKey { get; init; }

    /// <summary>Origins browsers may send events from. Empty means any origin.</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>
    /// Days of events the lake keeps, counted back from today (UTC) by the events' own date; whole days older than that
    /// are dropped. Null keeps everything.
    /// </summary>
    public int? RetentionDays { get; init; }
}
