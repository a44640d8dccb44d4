namespace Weir.Ingest;

/// <summary>
/// Limits and time rules of ingest. Sizes are in bytes of UTF-8 after decompression. The defaults follow Segment's
/// published limits where it has them (see docs/ingest.md).
/// </summary>
public sealed record IngestOptions
{
    /// <summary>The largest reader nesting an event may reach; the parser refuses deeper input as invalid JSON.</summary>
    internal const int ReaderMaxDepth = 64;

    /// <summary>Largest single event: a single call's body, or one item of a batch. Segment: 32 KB.</summary>
    public int MaxEventBytes { get; init; } = 32 * 1024;

    /// <summary>Largest batch body. Segment: 500 KB.</summary>
    public int MaxBatchBytes { get; init; } = 500 * 1024;

    /// <summary>Most top-level keys in <c>properties</c>, <c>traits</c> or <c>context</c>.</summary>
    public int MaxKeys { get; init; } = 256;

    /// <summary>Longest string (value or key) anywhere in an event, in encoded bytes.</summary>
    public int MaxStringLength { get; init; } = 8 * 1024;

    /// <summary>Longest id (<c>messageId</c>, <c>userId</c>, <c>anonymousId</c>, <c>groupId</c>, <c>previousId</c>).</summary>
    public int MaxIdLength { get; init; } = 256;

    /// <summary>Longest event name (<c>event</c>, <c>name</c>, pixel <c>e</c>).</summary>
    public int MaxEventNameLength { get; init; } = 256;

    /// <summary>
    /// Deepest nesting inside <c>properties</c>, <c>traits</c> and <c>context</c>: a flat object is 1, an object in it
    /// 2, and so on.
    /// </summary>
    public int MaxDepth { get; init; } = 16;

    /// <summary>
    /// How far past <c>received_at</c> a corrected timestamp may lie before it is clamped to <c>received_at</c>.
    /// Live events cannot come from the future; the tolerance only absorbs the server's own clock error. One hour
    /// catches clients that send local time marked as UTC (PostHog allows 23 h).
    /// </summary>
    public TimeSpan FutureTolerance { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Throws <see cref="ArgumentException"/> when a limit is out of range.</summary>
    public IngestOptions Validate()
    {
        Check(MaxEventBytes >= 256, nameof(MaxEventBytes), "must be at least 256");
        Check(MaxBatchBytes >= MaxEventBytes, nameof(MaxBatchBytes), "must be at least MaxEventBytes");
        Check(MaxBatchBytes <= 64 * 1024 * 1024, nameof(MaxBatchBytes), "must be at most 64 MB");
        Check(MaxKeys >= 1, nameof(MaxKeys), "must be at least 1");
        Check(MaxStringLength >= 16, nameof(MaxStringLength), "must be at least 16");
        Check(MaxIdLength is >= 16 and <= 4096, nameof(MaxIdLength), "must be between 16 and 4096");
        Check(MaxEventNameLength is >= 16 and <= 4096, nameof(MaxEventNameLength), "must be between 16 and 4096");
        Check(MaxDepth is >= 1 and <= ReaderMaxDepth - 8, nameof(MaxDepth), $"must be between 1 and {ReaderMaxDepth - 8}");
        Check(FutureTolerance >= TimeSpan.Zero, nameof(FutureTolerance), "must not be negative");
        return this;
    }

    private static void Check(bool ok, string name, string message)
    {
        if (!ok)
        {
            throw new ArgumentException($"Ingest option {name} {message}.", name);
        }
    }
}
