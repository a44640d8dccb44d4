using System.Collections.Immutable;
using Weir.Lake.Catalog;

namespace Weir.Lake.Maintenance;

/// <summary>What <see cref="Retention.Apply(CatalogStore, Func{string, int?}, DateTimeOffset, TimeSpan)"/> dropped.</summary>
/// <param name="Partitions">The partitions that left the catalog, as they were summed up before.</param>
/// <param name="Files">Their files, now pending deletion.</param>
/// <param name="Rows">Their rows.</param>
public sealed record RetentionResult(IReadOnlyList<CatalogPartition> Partitions, int Files, long Rows)
{
    public static RetentionResult None { get; } = new([], 0, 0);
}

/// <summary>
/// Drops whole partitions older than each site's retention. A partition is a day, so nothing is rewritten: its files
/// leave the catalog in one commit and wait out the grace period as pending deletes, like the inputs of a compaction,
/// because a running query may still read them.
/// </summary>
/// <remarks>
/// The catalog's discovered schema (event and property counts) is left as it is: it describes what a site has sent,
/// not what the lake still holds. Rows of an expired day still in the hot table are the caller's to drop.
/// </remarks>
public static class Retention
{
    /// <summary>
    /// The partitions to drop: those of a site with a retention of <c>d</c> days whose date is before today (UTC, from
    /// <paramref name="now"/>) minus <c>d</c> days. A site for which <paramref name="retentionDays"/> gives null keeps
    /// everything.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A site's retention is below one day.</exception>
    public static IReadOnlyList<CatalogPartition> Plan(CatalogSnapshot snapshot, Func<string, int?> retentionDays, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(retentionDays);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var cutoffs = new Dictionary<string, DateOnly?>(StringComparer.Ordinal);
        var expired = new List<CatalogPartition>();
        foreach (var partition in snapshot.Partitions)
        {
            if (!cutoffs.TryGetValue(partition.SiteId, out var cutoff))
            {
                var days = retentionDays(partition.SiteId);
                if (days < 1)
                {
                    // Checked before anything is dropped: 0 is more likely "no limit" misread than "delete everything".
                    throw new ArgumentOutOfRangeException(nameof(retentionDays), days,
                        $"Site '{partition.SiteId}' has a retention of {days} days; it must be at least 1, or null to keep everything.");
                }

                cutoff = days is { } d ? today.AddDays(-d) : null;
                cutoffs.Add(partition.SiteId, cutoff);
            }

            if (partition.EventDate < cutoff)
            {
                expired.Add(partition);
            }
        }

        return expired;
    }

    /// <summary>
    /// Drops the partitions <see cref="Plan"/> names, as of the catalog at commit time, in one commit: their files move
    /// to the pending deletes, to be deleted after <paramref name="grace"/>. Commits nothing when nothing expired.
    /// </summary>
    public static RetentionResult Apply(CatalogStore store, Func<string, int?> retentionDays, DateTimeOffset now, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(retentionDays);
        ArgumentOutOfRangeException.ThrowIfLessThan(grace, TimeSpan.Zero);
        var result = RetentionResult.None;
        MaintenanceCommon.TryCommit(store, current =>
        {
            var expired = Plan(current, retentionDays, now);
            if (expired.Count == 0)
            {
                return null;
            }

            var dropped = new HashSet<(string, DateOnly)>();
            long rows = 0;
            var fileCount = 0;
            foreach (var partition in expired)
            {
                dropped.Add((partition.SiteId, partition.EventDate));
                rows += partition.Rows;
                fileCount += partition.FileCount;
            }

            var files = ImmutableArray.CreateBuilder<CatalogFile>(current.Files.Count - fileCount);
            var pending = ImmutableArray.CreateBuilder<PendingDelete>(current.PendingDeletes.Count + fileCount);
            pending.AddRange(current.PendingDeletes);
            foreach (var file in current.Files)
            {
                if (dropped.Contains((file.SiteId, file.EventDate)))
                {
                    pending.Add(new PendingDelete { Path = file.Path, DeleteAfter = now + grace });
                }
                else
                {
                    files.Add(file);
                }
            }

            result = new RetentionResult(expired, fileCount, rows);
            return current with { Files = files.MoveToImmutable(), PendingDeletes = pending.MoveToImmutable() };
        });
        return result;
    }

    /// <summary>
    /// <see cref="Apply(CatalogStore, Func{string, int?}, DateTimeOffset, TimeSpan)"/> with a retention per site id; a
    /// site not in the map keeps everything.
    /// </summary>
    public static RetentionResult Apply(CatalogStore store, IReadOnlyDictionary<string, int> retentionDays, DateTimeOffset now, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(retentionDays);
        return Apply(store, siteId => retentionDays.TryGetValue(siteId, out var days) ? days : null, now, grace);
    }
}
