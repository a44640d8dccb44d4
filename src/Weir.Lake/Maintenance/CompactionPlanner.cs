using System.Collections.Immutable;
using Weir.Lake.Catalog;

namespace Weir.Lake.Maintenance;

/// <summary>
/// Files of one partition to merge into one file, in log order (the order of their names). Planned from one catalog
/// snapshot; the compactor checks at commit time that they are all still there.
/// </summary>
public sealed record CompactionGroup
{
    public CompactionGroup(string siteId, DateOnly eventDate, IReadOnlyList<CatalogFile> files)
    {
        ArgumentNullException.ThrowIfNull(siteId);
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0)
        {
            throw new ArgumentException("A compaction group needs at least one file.", nameof(files));
        }

        long bytes = 0, rows = 0, logStart = long.MaxValue, logEnd = long.MinValue;
        foreach (var file in files)
        {
            if (file.SiteId != siteId || file.EventDate != eventDate)
            {
                throw new ArgumentException($"'{file.Path}' is not in the partition {siteId}/{eventDate:yyyy-MM-dd}: a merge never crosses partitions.", nameof(files));
            }

            bytes += file.Bytes;
            rows += file.Rows;
            logStart = Math.Min(logStart, file.LogStart);
            logEnd = Math.Max(logEnd, file.LogEnd);
        }

        SiteId = siteId;
        EventDate = eventDate;
        Files = files.ToImmutableArray();
        Bytes = bytes;
        Rows = rows;
        LogStart = logStart;
        LogEnd = logEnd;
    }

    public string SiteId { get; }

    public DateOnly EventDate { get; }

    /// <summary>The inputs, ordered by name, which is log order.</summary>
    public IReadOnlyList<CatalogFile> Files { get; }

    /// <summary>The inputs' size on disk, which bounds the output's (duplicates dropped and better compression make it smaller).</summary>
    public long Bytes { get; }

    /// <summary>The inputs' rows as the catalog records them, duplicates included.</summary>
    public long Rows { get; }

    /// <summary>The first log position of any input: the start of the merged file's name and range.</summary>
    public long LogStart { get; }

    /// <summary>One past the last log position of any input.</summary>
    public long LogEnd { get; }
}

/// <summary>
/// Decides which files compaction merges: a pure function of a catalog snapshot, so it is cheap to run often and the
/// same snapshot always gives the same plan.
/// </summary>
/// <remarks>
/// <para>
/// A partition that fits in one target-sized file (most partitions: a small site's day) is merged whole, whatever the
/// sizes of its files: one file per partition is what queries like best, and it removes every duplicate the loader's
/// window let through, which can only meet in one file.
/// </para>
/// <para>
/// In a bigger partition, only the small files (below <see cref="CompactionOptions.SmallFileBytes"/>) are merged,
/// packed in log order into groups of at most the target size. Files that are already big stay as they are: merging a
/// late trickle into a big file would rewrite it on every run. Duplicates between two big files remain; they are rare
/// (the loader drops copies within its window) and a query that must be exact can use <c>DISTINCT</c> on message_id.
/// </para>
/// </remarks>
public static class CompactionPlanner
{
    /// <summary>Every merge worth doing in the snapshot, partition by partition (by site, then date).</summary>
    public static IReadOnlyList<CompactionGroup> Plan(CatalogSnapshot snapshot, CompactionOptions options)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var groups = new List<CompactionGroup>();
        foreach (var partition in snapshot.Partitions)
        {
            if (partition.FileCount >= options.MinFilesToCompact)
            {
                groups.AddRange(PlanPartition(snapshot, partition.SiteId, partition.EventDate, options));
            }
        }

        return groups;
    }

    /// <summary>The merges worth doing in one partition, in log order; none when it has fewer files than the minimum.</summary>
    public static IReadOnlyList<CompactionGroup> PlanPartition(CatalogSnapshot snapshot, string siteId, DateOnly eventDate, CompactionOptions options)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(siteId);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var files = snapshot.FilesOf(siteId, eventDate).ToList();
        if (files.Count < options.MinFilesToCompact)
        {
            return [];
        }

        // Names are <logStart>-<logEnd>[-suffix], zero-padded: ordinal order is log order.
        files.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        long total = 0;
        foreach (var file in files)
        {
            total += file.Bytes;
        }

        if (total <= options.TargetFileBytes)
        {
            return [new CompactionGroup(siteId, eventDate, files)];
        }

        var groups = new List<CompactionGroup>();
        var current = new List<CatalogFile>();
        long currentBytes = 0;
        foreach (var file in files)
        {
            if (file.Bytes >= options.SmallFileBytes)
            {
                continue;
            }

            if (current.Count > 0 && currentBytes + file.Bytes > options.TargetFileBytes)
            {
                Close(current);
                current = [];
                currentBytes = 0;
            }

            current.Add(file);
            currentBytes += file.Bytes;
        }

        Close(current);
        return groups;

        void Close(List<CatalogFile> group)
        {
            if (group.Count >= options.MinFilesToCompact)
            {
                groups.Add(new CompactionGroup(siteId, eventDate, group));
            }
        }
    }
}
