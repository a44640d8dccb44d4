namespace Weir.Lake.Catalog;

/// <summary>
/// One Parquet file of the lake as the catalog knows it. Queries plan from these entries instead of listing folders,
/// so a file the loader is still writing, or one compaction has replaced, is never read by accident; the statistics
/// let a query skip files by time without opening them, and the log range tells compaction and erasure which
/// records a file holds.
/// </summary>
public sealed record CatalogFile
{
    /// <summary>Relative to the lake root with '/' separators, so the catalog survives moving the data folder.</summary>
    public required string Path { get; init; }

    public required string SiteId { get; init; }

    /// <summary>The UTC date of the rows' timestamps: the file's partition.</summary>
    public required DateOnly EventDate { get; init; }

    public required long Rows { get; init; }

    public required long Bytes { get; init; }

    public required DateTimeOffset MinTimestamp { get; init => field = value.ToUniversalTime(); }

    public required DateTimeOffset MaxTimestamp { get; init => field = value.ToUniversalTime(); }

    /// <summary>The first log position whose rows the file holds; for a compacted file, of all the files it replaced.</summary>
    public required long LogStart { get; init; }

    /// <summary>One past the last log position whose rows the file holds.</summary>
    public required long LogEnd { get; init; }

    public required DateTimeOffset CreatedAt { get; init => field = value.ToUniversalTime(); }
}

/// <summary>
/// A file that has left the catalog but not the disk: a query that planned over an older snapshot may still be
/// reading it, so it is deleted only once the grace period has passed.
/// </summary>
public sealed record PendingDelete
{
    /// <summary>Relative to the lake root with '/' separators, as <see cref="CatalogFile.Path"/>.</summary>
    public required string Path { get; init; }

    public required DateTimeOffset DeleteAfter { get; init => field = value.ToUniversalTime(); }
}

/// <summary>
/// The files of one partition summed up, for planning and for the admin views: computed from
/// <see cref="CatalogSnapshot.Files"/>, never stored, so it cannot disagree with them.
/// </summary>
public sealed record CatalogPartition(
    string SiteId,
    DateOnly EventDate,
    int FileCount,
    long Rows,
    long Bytes,
    DateTimeOffset MinTimestamp,
    DateTimeOffset MaxTimestamp);
