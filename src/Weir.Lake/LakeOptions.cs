namespace Weir.Lake;

/// <summary>How the lake loads, flushes and maintains itself. The defaults suit one machine with a few GB of memory.</summary>
public sealed record LakeOptions
{
    /// <summary>The data folder; the lake lives in its <c>lake</c> folder.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>A record whose (site, message id) was received within this long before is dropped. Default 7 days.</summary>
    public TimeSpan DedupWindow { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Hot rows are written to Parquet once there are this many. Default 500 000 (roughly 100–200 MB of memory).</summary>
    public int FlushRows { get; init; } = 500_000;

    /// <summary>Hot rows are written to Parquet once the oldest has waited this long. Default 5 minutes.</summary>
    public TimeSpan FlushAge { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// While records keep coming, appended rows are handed to DuckDB (made visible to queries) at least this often; when
    /// the loader catches up with the log they are handed over at once. Default 250 ms.
    /// </summary>
    public TimeSpan VisibilityInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Threads that decode records and append them to the hot table, each with its own DuckDB connection and appender
    /// (de-duplication stays on one thread, in log order). Default: 2 on a machine with two cores or more, else 1.
    /// </summary>
    public int LoaderThreads { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, 2);

    /// <summary>Records read from the log at a time.</summary>
    public int ReadBatch { get; init; } = 4096;

    /// <summary>How often the background maintenance (compaction, retention, sweeping replaced files) runs. Default 5 minutes.</summary>
    public TimeSpan MaintenanceInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Turns the background maintenance off; it still runs on demand. For tests and tools.</summary>
    public bool BackgroundMaintenance { get; init; } = true;

    /// <summary>Files replaced by compaction are deleted this long after the swap, so queries that read them can finish.</summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Compaction merges a partition's files toward this size. Default 128 MiB.</summary>
    public long TargetFileBytes { get; init; } = 128L << 20;

    /// <summary>Days of events kept for a site (null: all), asked at each maintenance run so changes apply without a restart.</summary>
    public Func<string, int?>? RetentionDays { get; init; }

    /// <summary>DuckDB worker threads for the lake's database; null lets DuckDB use every core.</summary>
    public int? Threads { get; init; }

    /// <summary>DuckDB's memory limit for the lake's database (hot table and queries), e.g. "2GB"; null keeps DuckDB's default.</summary>
    public string? MemoryLimit { get; init; }

    /// <summary>
    /// Makes the enricher of one loader lane (each lane has its own: enrichers keep caches and are not thread-safe);
    /// null leaves the enrichment columns NULL. See <see cref="Hot.IHotRowEnricher"/>.
    /// </summary>
    public Func<Hot.IHotRowEnricher>? Enricher { get; init; }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(DataDirectory);
        if (DedupWindow < TimeSpan.FromHours(1))
        {
            throw new ArgumentException("DedupWindow must be at least one hour.");
        }

        if (FlushRows < 1 || ReadBatch < 1)
        {
            throw new ArgumentException("FlushRows and ReadBatch must be positive.");
        }

        if (LoaderThreads is < 1 or > 64)
        {
            throw new ArgumentException("LoaderThreads must be between 1 and 64.");
        }

        if (FlushAge <= TimeSpan.Zero || VisibilityInterval <= TimeSpan.Zero || MaintenanceInterval <= TimeSpan.Zero || GracePeriod < TimeSpan.Zero)
        {
            throw new ArgumentException("FlushAge, VisibilityInterval and MaintenanceInterval must be positive, and GracePeriod not negative.");
        }

        if (TargetFileBytes < 1 << 20)
        {
            throw new ArgumentException("TargetFileBytes must be at least 1 MiB.");
        }
    }
}
