using Weir.Lake.Catalog;

namespace Weir.Lake.Maintenance;

/// <summary>What <see cref="LakeCleanup.SweepPendingDeletes"/> did; paths relative to the lake root.</summary>
/// <param name="Deleted">Files that were due and deleted.</param>
/// <param name="Missing">Files that were due but already gone (deleted before a crash, or by hand); their entries went too.</param>
public sealed record SweepResult(IReadOnlyList<string> Deleted, IReadOnlyList<string> Missing)
{
    public static SweepResult None { get; } = new([], []);

    /// <summary>Pending deletes that left the catalog.</summary>
    public int Count => Deleted.Count + Missing.Count;
}

/// <summary>What <see cref="LakeCleanup.RemoveOrphans"/> deleted; paths relative to the lake root.</summary>
/// <param name="TemporaryFiles"><c>*.parquet.tmp</c> files: writes a crash interrupted.</param>
/// <param name="UnlistedFiles">Parquet files the catalog names neither as live nor as pending deletion.</param>
/// <param name="EmptyDirectories">Partition and site folders left empty.</param>
public sealed record OrphanCleanupResult(IReadOnlyList<string> TemporaryFiles, IReadOnlyList<string> UnlistedFiles, IReadOnlyList<string> EmptyDirectories)
{
    public static OrphanCleanupResult None { get; } = new([], [], []);

    /// <summary>Files deleted (folders not counted).</summary>
    public int Count => TemporaryFiles.Count + UnlistedFiles.Count;
}

/// <summary>
/// Deleting what the lake no longer needs: files whose grace period has passed, and at start-up the files a crash
/// left behind. The catalog is the only source of truth; the disk is made to agree with it, never the other way round.
/// </summary>
public static class LakeCleanup
{
    /// <summary>
    /// Deletes every pending delete whose time has come, then commits their removal from the catalog. Deleting first
    /// means a crash in between only leaves entries for missing files, which the next sweep clears; committing first
    /// could leave files nothing names until the next start. Missing files are fine. Nothing is committed when nothing
    /// is due. Partition folders are left, even empty: the loader may be about to write into one, and the start-up
    /// cleanup removes those that stay empty.
    /// </summary>
    public static SweepResult SweepPendingDeletes(CatalogStore store, LakeLayout layout, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(layout);
        var due = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pending in store.Current.PendingDeletes)
        {
            if (pending.DeleteAfter <= now)
            {
                due.Add(pending.Path);
            }
        }

        if (due.Count == 0)
        {
            return SweepResult.None;
        }

        var deleted = new List<string>();
        var missing = new List<string>();
        foreach (var path in due.Order(StringComparer.Ordinal))
        {
            (MaintenanceCommon.DeleteFile(layout.Absolute(path)) ? deleted : missing).Add(path);
        }

        MaintenanceCommon.TryCommit(store, current =>
        {
            var kept = current.PendingDeletes.Where(p => !due.Contains(p.Path)).ToList();
            return kept.Count == current.PendingDeletes.Count ? null : current with { PendingDeletes = kept };
        });
        return new SweepResult(deleted, missing);
    }

    /// <summary>
    /// Deletes, under the events folder, every <c>*.parquet.tmp</c> file and every <c>*.parquet</c> file that
    /// <paramref name="snapshot"/> names neither in its files nor in its pending deletes, then every folder left empty.
    /// Such files come from a crash between writing a file and committing it: a flush's rows are still in the log above
    /// the watermark and are loaded again, and a merge's or rewrite's rows are still in the files it was to replace.
    /// </summary>
    /// <remarks>
    /// Run it at start-up, before the loader or any maintenance runs: a file being written and not yet committed looks
    /// exactly like an orphan. Files of other kinds are left alone.
    /// </remarks>
    public static OrphanCleanupResult RemoveOrphans(LakeLayout layout, CatalogSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!Directory.Exists(layout.Events))
        {
            return OrphanCleanupResult.None;
        }

        var named = MaintenanceCommon.Paths(snapshot.Files);
        foreach (var pending in snapshot.PendingDeletes)
        {
            named.Add(pending.Path);
        }

        var temporary = new List<string>();
        var unlisted = new List<string>();
        var files = Directory.GetFiles(layout.Events, "*", SearchOption.AllDirectories);
        Array.Sort(files, StringComparer.Ordinal);
        foreach (var file in files)
        {
            var relative = layout.Relative(file);
            if (file.EndsWith(".parquet.tmp", StringComparison.Ordinal))
            {
                if (MaintenanceCommon.DeleteFile(file))
                {
                    temporary.Add(relative);
                }
            }
            else if (file.EndsWith(".parquet", StringComparison.Ordinal) && !named.Contains(relative))
            {
                if (MaintenanceCommon.DeleteFile(file))
                {
                    unlisted.Add(relative);
                }
            }
        }

        // Deepest first, so a site folder is looked at after its partitions.
        var directories = Directory.GetDirectories(layout.Events, "*", SearchOption.AllDirectories);
        Array.Sort(directories, static (a, b) => b.Length != a.Length ? b.Length.CompareTo(a.Length) : string.CompareOrdinal(a, b));
        var empty = new List<string>();
        foreach (var directory in directories)
        {
            if (!Directory.EnumerateFileSystemEntries(directory).Any())
            {
                Directory.Delete(directory);
                empty.Add(layout.Relative(directory));
            }
        }

        return new OrphanCleanupResult(temporary, unlisted, empty);
    }
}
