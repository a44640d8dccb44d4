namespace Weir.Demo;

/// <summary>What demo traffic to generate. The same options (seed and threads included) give the same events.</summary>
public sealed record DemoTrafficOptions
{
    /// <summary>Distinct events to generate (duplicates come on top). Default 1 000 000.</summary>
    public long Events { get; init; } = 1_000_000;

    /// <summary>The site the events belong to.</summary>
    public required string SiteId { get; init; }

    /// <summary>The site's host, in every URL.</summary>
    public string Host { get; init; } = DemoSite.Domain;

    public ulong Seed { get; init; } = 1;

    /// <summary>The traffic ends here (usually now) and starts <see cref="Days"/> before.</summary>
    public required DateTimeOffset End { get; init; }

    /// <summary>Days of traffic; 90 by default, enough for retention reports of eight weeks and more.</summary>
    public int Days { get; init; } = 90;

    /// <summary>The share of events a client sent days late (received_at days after timestamp). Default 1 %.</summary>
    public double LateFraction { get; init; } = 0.01;

    /// <summary>The share of events sent twice (same message id, received again seconds later). Default 0.5 %.</summary>
    public double DuplicateFraction { get; init; } = 0.005;

    /// <summary>
    /// Late events and second copies received this long before <see cref="End"/> or later are written as a second,
    /// small file in their partitions, as the loader would have left them since the last compaction, and the import's
    /// compaction merges them. Those received earlier are already in their day's one file, and their second copies are
    /// not written at all, as compaction would have dropped them. Default 1 day; <see cref="Days"/> or more writes
    /// every late event and copy as a small file, so that compaction does all the merging.
    /// </summary>
    public TimeSpan RecentWindow { get; init; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Roughly how many events the import holds in its staging tables at once: the traffic is generated and written a
    /// few whole days at a time, so memory does not grow with <see cref="Events"/>. Default 1 000 000.
    /// </summary>
    public long EventsPerChunk { get; init; } = 1_000_000;

    /// <summary>Generator threads, each with its own share of the visitors and its own appender. Default 2.</summary>
    public int Threads { get; init; } = 2;

    /// <summary>Throws <see cref="ArgumentException"/> with a message for the user when an option is out of range.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(SiteId);
        ArgumentException.ThrowIfNullOrWhiteSpace(Host);
        if (Events < 1)
        {
            throw new ArgumentException($"The number of events must be at least 1 (got {Events}).", nameof(Events));
        }

        if (Days is < 1 or > 3650)
        {
            throw new ArgumentException($"Days must be between 1 and 3650 (got {Days}).", nameof(Days));
        }

        if (LateFraction is < 0 or > 0.5 || DuplicateFraction is < 0 or > 0.5)
        {
            throw new ArgumentException("LateFraction and DuplicateFraction must be between 0 and 0.5.");
        }

        if (RecentWindow < TimeSpan.Zero || EventsPerChunk < 1)
        {
            throw new ArgumentException("RecentWindow cannot be negative, and EventsPerChunk must be at least 1.");
        }

        if (Threads is < 1 or > 64)
        {
            throw new ArgumentException($"Threads must be between 1 and 64 (got {Threads}).", nameof(Threads));
        }
    }
}
