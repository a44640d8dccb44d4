namespace Weir.Lake.Maintenance;

/// <summary>How compaction chooses and merges a partition's files. Validated when a planner or compactor uses them.</summary>
public sealed record CompactionOptions
{
    /// <summary>
    /// Compaction merges files toward this size and never plans a merge whose inputs add up to more. Big enough that a
    /// query opens few files, small enough that one merge stays within memory and a rewrite (erasure) stays cheap.
    /// Default 128 MiB.
    /// </summary>
    public long TargetFileBytes { get; init; } = 128L << 20;

    /// <summary>
    /// In a partition bigger than the target, only files below this size are merged, so a file that is already big is
    /// not rewritten again and again to absorb a few late events. 0 (the default) means a quarter of
    /// <see cref="TargetFileBytes"/>.
    /// </summary>
    public long SmallFileBytes { get => field == 0 ? TargetFileBytes / 4 : field; init; }

    /// <summary>A merge needs at least this many files; merging one file would only rewrite it. Default 2.</summary>
    public int MinFilesToCompact { get; init; } = 2;

    /// <summary>
    /// How long a replaced file stays on disk after the swap: a query that planned over the previous catalog snapshot
    /// still reads it. Longer than the longest query the lake lets run. Default 10 minutes.
    /// </summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromMinutes(10);

    internal void Validate()
    {
        if (TargetFileBytes < 1)
        {
            throw new ArgumentException($"{nameof(TargetFileBytes)} must be positive; it is {TargetFileBytes}.");
        }

        if (SmallFileBytes < 0 || SmallFileBytes > TargetFileBytes)
        {
            throw new ArgumentException($"{nameof(SmallFileBytes)} must be between 0 and {nameof(TargetFileBytes)} ({TargetFileBytes}); it is {SmallFileBytes}.");
        }

        if (MinFilesToCompact < 2)
        {
            throw new ArgumentException($"{nameof(MinFilesToCompact)} must be at least 2; it is {MinFilesToCompact}.");
        }

        if (GracePeriod < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(GracePeriod)} cannot be negative; it is {GracePeriod}.");
        }
    }
}
