using System.Collections.Concurrent;
using System.Globalization;
using Weir.DuckDb;
using Weir.Lake.Catalog;

namespace Weir.Lake.Maintenance;

/// <summary>A file name the maintenance code has chosen and holds until its file is committed or deleted.</summary>
internal sealed class FileNameReservation : IDisposable
{
    private readonly ConcurrentDictionary<string, byte> _owner;

    public FileNameReservation(ConcurrentDictionary<string, byte> owner, string name, string path, string relative)
    {
        _owner = owner;
        Name = name;
        Path = path;
        Relative = relative;
    }

    /// <summary>The file name without <c>.parquet</c>, as <see cref="Parquet.PartitionFileWriter"/> takes it.</summary>
    public string Name { get; }

    /// <summary>The absolute path of the file.</summary>
    public string Path { get; }

    /// <summary>The path as the catalog records it.</summary>
    public string Relative { get; }

    public void Dispose() => _owner.TryRemove(Path, out _);
}

/// <summary>What compaction, erasure, retention and cleanup share: unique names, conditional commits, quiet deletes.</summary>
internal static class MaintenanceCommon
{
    // Names being written right now, by absolute path. Process-wide because the file system is: two components (or two
    // lakes opened on one folder by a test) must never write the same name at once.
    private static readonly ConcurrentDictionary<string, byte> InFlight = new(StringComparer.Ordinal);

    /// <summary>
    /// Chooses <c>&lt;logStart&gt;-&lt;logEnd&gt;-&lt;kind&gt;&lt;n&gt;</c> for a file that replaces others, with n the
    /// next catalog generation or the first number above it that is free: not in the catalog's files or pending
    /// deletes, not on disk (a leftover of a crash), not being written by another thread. A name is never reused while
    /// anything could still read the file it named, so a query's file list always means what it meant when planned.
    /// </summary>
    public static FileNameReservation ReserveName(LakeLayout layout, CatalogSnapshot snapshot, string siteId, DateOnly eventDate, long logStart, long logEnd, char kind)
    {
        var directory = layout.PartitionDirectory(siteId, eventDate);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in snapshot.FilesOf(siteId, eventDate))
        {
            listed.Add(file.Path);
        }

        foreach (var pending in snapshot.PendingDeletes)
        {
            listed.Add(pending.Path);
        }

        for (var n = snapshot.Generation + 1; ; n++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"{logStart:D20}-{logEnd:D20}-{kind}{n}");
            var path = Path.Combine(directory, name + ".parquet");
            var relative = layout.Relative(path);
            if (listed.Contains(relative) || File.Exists(path) || File.Exists(path + ".tmp") || !InFlight.TryAdd(path, 0))
            {
                continue;
            }

            return new FileNameReservation(InFlight, name, path, relative);
        }
    }

    /// <summary>
    /// Commits <paramref name="change"/> unless it returns null, which means the snapshot it was shown no longer allows
    /// it (an input is gone): then nothing is written and null is returned. The check runs under the commit lock, so
    /// no other commit can slip in between the check and the write.
    /// </summary>
    public static CatalogSnapshot? TryCommit(CatalogCommit commit, DuckDbConnection connection, Func<CatalogSnapshot, CatalogSnapshot?> change)
    {
        var token = new object();
        try
        {
            return commit(snapshot => change(snapshot) ?? throw new CommitAbandonedException(token), connection);
        }
        catch (CommitAbandonedException ex) when (ReferenceEquals(ex.Token, token))
        {
            return null;
        }
    }

    /// <summary><see cref="TryCommit(CatalogCommit, DuckDbConnection, Func{CatalogSnapshot, CatalogSnapshot?})"/> straight on a store.</summary>
    public static CatalogSnapshot? TryCommit(CatalogStore store, Func<CatalogSnapshot, CatalogSnapshot?> change)
    {
        var token = new object();
        try
        {
            return store.Commit(snapshot => change(snapshot) ?? throw new CommitAbandonedException(token));
        }
        catch (CommitAbandonedException ex) when (ReferenceEquals(ex.Token, token))
        {
            return null;
        }
    }

    /// <summary>The default <see cref="CatalogCommit"/>: the store's own commit.</summary>
    public static CatalogCommit CommitTo(CatalogStore store) => (change, _) => store.Commit(change);

    /// <summary>Whether every one of <paramref name="files"/> is still a live file of <paramref name="snapshot"/>.</summary>
    public static bool AllListed(CatalogSnapshot snapshot, IReadOnlyList<CatalogFile> files)
    {
        var live = Paths(snapshot.FilesOf(files[0].SiteId, files[0].EventDate));
        foreach (var file in files)
        {
            if (!live.Contains(file.Path))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="relative"/> is named anywhere in the catalog, live or pending deletion.</summary>
    public static bool Named(CatalogSnapshot snapshot, string relative)
    {
        foreach (var file in snapshot.Files)
        {
            if (file.Path == relative)
            {
                return true;
            }
        }

        foreach (var pending in snapshot.PendingDeletes)
        {
            if (pending.Path == relative)
            {
                return true;
            }
        }

        return false;
    }

    public static HashSet<string> Paths(IEnumerable<CatalogFile> files)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            paths.Add(file.Path);
        }

        return paths;
    }

    /// <summary>Deletes a file; true when it existed. A missing file or folder is not an error: deleting is idempotent.</summary>
    public static bool DeleteFile(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return false;
            }

            File.Delete(path);
            return true;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Removes what a failed or abandoned write left: the file and its temporary. Never throws, so the original error surfaces.</summary>
    public static void DeleteQuietly(string path)
    {
        foreach (var candidate in (ReadOnlySpan<string>)[path, path + ".tmp"])
        {
            try
            {
                File.Delete(candidate);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Left for the start-up cleanup, which deletes files the catalog does not name.
            }
        }
    }

    /// <summary>Thrown inside a catalog change to leave the snapshot as it is; caught by <see cref="TryCommit(CatalogStore, Func{CatalogSnapshot, CatalogSnapshot?})"/>.</summary>
    private sealed class CommitAbandonedException(object token) : Exception("The catalog change was abandoned: its inputs changed.")
    {
        public object Token { get; } = token;
    }
}
