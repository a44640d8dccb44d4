using System.Collections.Immutable;
using Weir.DuckDb;
using Weir.Lake.Catalog;
using Weir.Lake.Parquet;

namespace Weir.Lake.Maintenance;

/// <summary>The identifier an erasure request names a person by.</summary>
public enum ErasureField
{
    /// <summary>The column <c>user_id</c>: the id the site gave a signed-in person.</summary>
    UserId,

    /// <summary>The column <c>anonymous_id</c>: the id the tracker gave a browser.</summary>
    AnonymousId,
}

/// <summary>When the files an erasure replaced leave the disk. The default value is <see cref="Immediate"/>.</summary>
public readonly record struct ErasureDeletion
{
    private ErasureDeletion(TimeSpan? grace) => Grace = grace;

    /// <summary>
    /// Right after each swap: when the erasure returns, no file under the lake holds the erased rows, not even one
    /// that compaction replaced a moment ago. A query that planned over an older snapshot and still reads such a file
    /// fails; that is the price of not keeping the data any longer.
    /// </summary>
    public static ErasureDeletion Immediate => new(null);

    /// <summary>Null for <see cref="Immediate"/>; otherwise how long the replaced files wait as pending deletes.</summary>
    public TimeSpan? Grace { get; }

    /// <summary>As pending deletes, after <paramref name="grace"/>, like the inputs of a compaction.</summary>
    public static ErasureDeletion After(TimeSpan grace)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(grace, TimeSpan.Zero);
        return new ErasureDeletion(grace);
    }
}

/// <summary>One file an erasure replaced; paths relative to the lake root.</summary>
/// <param name="Input">The file that held matching rows.</param>
/// <param name="Output">The rewritten file; null when every row of the input matched and the file simply left.</param>
/// <param name="RowsBefore">The input's rows.</param>
/// <param name="RowsErased">The rows that matched and are gone.</param>
public sealed record ErasedFile(string Input, string? Output, long RowsBefore, long RowsErased);

/// <summary>
/// What <see cref="FileEraser.EraseFromFiles"/> did. It never holds the erased value, so it can be logged and shown.
/// </summary>
/// <param name="SiteId">The site searched; null for every site.</param>
/// <param name="Field">The column searched.</param>
/// <param name="FilesScanned">Catalog files searched, over every round.</param>
/// <param name="Files">The files that held matching rows and were replaced.</param>
/// <param name="ReplacedFilesDeleted">
/// With <see cref="ErasureDeletion.Immediate"/>: files deleted at once, the replaced ones and any pending delete that
/// held matching rows. Empty otherwise.
/// </param>
/// <param name="Rounds">Searches made: more than one when compaction replaced a file while it was being rewritten.</param>
/// <param name="Duration">The erasure's time.</param>
public sealed record ErasureResult(
    string? SiteId,
    ErasureField Field,
    int FilesScanned,
    IReadOnlyList<ErasedFile> Files,
    IReadOnlyList<string> ReplacedFilesDeleted,
    int Rounds,
    TimeSpan Duration)
{
    public int FilesRewritten => Files.Count(f => f.Output is not null);

    public int FilesRemoved => Files.Count(f => f.Output is null);

    public long RowsErased => Files.Sum(f => f.RowsErased);
}

/// <summary>
/// Removes a person's rows from the lake's Parquet files (a GDPR erasure request): every catalog file that holds a
/// row whose <c>user_id</c> (or <c>anonymous_id</c>) equals the value is rewritten without those rows under a new
/// name, <c>&lt;logStart&gt;-&lt;logEnd&gt;-e&lt;n&gt;</c>, and swapped in by one commit per file. A file whose rows
/// all match leaves the catalog without a replacement. The hot table and the log are the caller's to erase.
/// </summary>
/// <remarks>
/// <para>
/// The value never becomes SQL text: the search binds it as a parameter, and the rewrite (a <c>COPY</c>, which takes
/// no parameters) reads it from a connection variable set through a bound parameter and reset afterwards.
/// </para>
/// <para>
/// Safe alongside compaction: each swap checks that its file is still in the catalog. If compaction replaced it
/// meanwhile (the merged file then holds the rows again), the rewrite is thrown away and the search runs again over
/// the new files, up to <see cref="MaxRounds"/> times.
/// </para>
/// </remarks>
public sealed class FileEraser
{
    /// <summary>Searches before giving up on a lake that keeps changing under the erasure.</summary>
    public const int MaxRounds = 5;

    private const string ValueVariable = "weir_erasure_value";

    private readonly CatalogStore _store;
    private readonly LakeLayout _layout;
    private readonly TimeProvider _time;
    private readonly CatalogCommit _commit;
    private readonly PartitionFileWriter _writer;

    /// <param name="store">The lake's catalog.</param>
    /// <param name="layout">Where the lake's files are.</param>
    /// <param name="time">The clock for grace periods, file times and durations.</param>
    /// <param name="commit">How to commit; <see cref="CatalogStore.Commit"/> when null (see <see cref="CatalogCommit"/>).</param>
    public FileEraser(CatalogStore store, LakeLayout layout, TimeProvider time, CatalogCommit? commit = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _layout = layout;
        _time = time;
        _commit = commit ?? MaintenanceCommon.CommitTo(store);
        _writer = new PartitionFileWriter(layout);
    }

    /// <summary>Called between a file's rewrite and its commit; tests use it to change the catalog at the worst moment.</summary>
    internal Action<CatalogFile>? BeforeCommit { get; set; }

    /// <summary>
    /// Rewrites every file of <paramref name="siteId"/> (every site when null) without the rows whose
    /// <paramref name="field"/> equals <paramref name="value"/>, and disposes of the old files as
    /// <paramref name="deletion"/> says. Cancellation is checked between files: each swap is whole, so a cancelled
    /// erasure leaves a consistent lake, but an incomplete erasure; run it again.
    /// </summary>
    /// <exception cref="InvalidOperationException">The files kept changing for <see cref="MaxRounds"/> searches.</exception>
    public ErasureResult EraseFromFiles(
        DuckDbConnection connection, string? siteId, ErasureField field, string value, ErasureDeletion deletion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrEmpty(value);
        if (siteId is not null)
        {
            LakeLayout.CheckSiteId(siteId);
        }

        var column = Sql.Identifier(field switch
        {
            ErasureField.UserId => "user_id",
            ErasureField.AnonymousId => "anonymous_id",
            _ => throw new ArgumentOutOfRangeException(nameof(field), field, "Not an erasure field."),
        });
        var started = _time.GetTimestamp();
        var erased = new List<ErasedFile>();
        var deletedNow = new List<string>();
        var scanned = 0;
        var rounds = 0;
        using (var set = connection.Prepare($"SET VARIABLE {ValueVariable} = $1"))
        {
            set.Bind(1, value).ExecuteNonQuery();
        }

        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                rounds++;
                var candidates = _store.Current.Files.Where(f => siteId is null || f.SiteId == siteId).ToList();
                scanned += candidates.Count;
                var matching = FindMatches(connection, candidates.Select(f => f.Path).ToList(), column, value);
                var lost = false;
                foreach (var file in candidates.Where(f => matching.Contains(f.Path)).OrderBy(f => f.Path, StringComparer.Ordinal))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (Rewrite(connection, file, column, deletion) is { } done)
                    {
                        erased.Add(done);
                        if (deletion.Grace is null)
                        {
                            MaintenanceCommon.DeleteFile(_layout.Absolute(file.Path));
                            deletedNow.Add(file.Path);
                        }
                    }
                    else
                    {
                        lost = true;
                    }
                }

                if (!lost)
                {
                    break;
                }

                if (rounds == MaxRounds)
                {
                    throw new InvalidOperationException(
                        $"The erasure gave up after {MaxRounds} searches: the files kept being replaced while it rewrote them. {erased.Count} files were rewritten; run it again.");
                }
            }

            if (deletion.Grace is null)
            {
                deletedNow.AddRange(DeletePendingMatches(connection, siteId, column, value));
                ForgetDeleted(connection, deletedNow);
            }
        }
        finally
        {
            connection.Execute($"RESET VARIABLE {ValueVariable}");
        }

        return new ErasureResult(siteId, field, scanned, erased, deletedNow, rounds, _time.GetElapsedTime(started));
    }

    /// <summary>The files (catalog paths) among <paramref name="paths"/> holding a matching row: one query over all of them.</summary>
    private HashSet<string> FindMatches(DuckDbConnection connection, List<string> paths, string column, string value)
    {
        var matching = new HashSet<string>(StringComparer.Ordinal);
        if (paths.Count == 0)
        {
            return matching;
        }

        var byAbsolute = paths.ToDictionary(p => _layout.Absolute(p), StringComparer.Ordinal);
        using var statement = connection.Prepare(
            $"SELECT DISTINCT filename FROM read_parquet({Sql.List([.. byAbsolute.Keys])}, filename = true, hive_partitioning = false) WHERE {column} = $1");
        statement.Bind(1, value);
        using var result = statement.Execute();
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                var names = chunk.GetVector(0);
                for (var row = 0; row < chunk.RowCount; row++)
                {
                    matching.Add(byAbsolute[names.GetString(row)]);
                }
            }
        }

        return matching;
    }

    /// <summary>Rewrites one file without the matching rows and swaps it in; null when the file left the catalog first.</summary>
    private ErasedFile? Rewrite(DuckDbConnection connection, CatalogFile file, string column, ErasureDeletion deletion)
    {
        var snapshot = _store.Current;
        if (!MaintenanceCommon.AllListed(snapshot, [file]))
        {
            return null;
        }

        using var name = MaintenanceCommon.ReserveName(_layout, snapshot, file.SiteId, file.EventDate, file.LogStart, file.LogEnd, 'e');
        WrittenFile? written;
        try
        {
            var source = $"(SELECT * FROM read_parquet({Sql.Literal(_layout.Absolute(file.Path))}, hive_partitioning = false) " +
                $"WHERE {column} IS DISTINCT FROM getvariable('{ValueVariable}'))";
            written = _writer.Write(connection, source, file.SiteId, file.EventDate, name.Name);
        }
        catch (Exception ex) when ((ex is DuckDbException or IOException) && !MaintenanceCommon.AllListed(_store.Current, [file]))
        {
            MaintenanceCommon.DeleteQuietly(name.Path);
            return null;
        }
        catch
        {
            MaintenanceCommon.DeleteQuietly(name.Path);
            throw;
        }

        BeforeCommit?.Invoke(file);
        var now = _time.GetUtcNow();
        var output = written?.ToCatalogFile(name.Relative, file.LogStart, file.LogEnd, now);
        var committed = MaintenanceCommon.TryCommit(_commit, connection, current =>
            MaintenanceCommon.AllListed(current, [file]) && !MaintenanceCommon.Named(current, name.Relative)
                ? Compactor.Swap(current, [file], output, now + (deletion.Grace ?? TimeSpan.Zero))
                : null);
        if (committed is null)
        {
            MaintenanceCommon.DeleteQuietly(name.Path);
            return null;
        }

        var rowsAfter = written?.Rows ?? 0;
        return new ErasedFile(file.Path, output?.Path, file.Rows, file.Rows - rowsAfter);
    }

    /// <summary>
    /// Deletes the pending deletes (files replaced but still in their grace period) that hold matching rows: with
    /// immediate deletion, no copy may outlive the erasure, and compaction's inputs are such copies.
    /// </summary>
    private List<string> DeletePendingMatches(DuckDbConnection connection, string? siteId, string column, string value)
    {
        var prefix = siteId is null ? LakeLayout.EventsDirectoryName + "/" : $"{LakeLayout.EventsDirectoryName}/site_id={siteId}/";
        var present = _store.Current.PendingDeletes
            .Select(p => p.Path)
            .Where(p => p.StartsWith(prefix, StringComparison.Ordinal) && p.EndsWith(".parquet", StringComparison.Ordinal) && File.Exists(_layout.Absolute(p)))
            .ToList();
        var deleted = new List<string>();
        foreach (var path in FindMatches(connection, present, column, value).Order(StringComparer.Ordinal))
        {
            MaintenanceCommon.DeleteFile(_layout.Absolute(path));
            deleted.Add(path);
        }

        return deleted;
    }

    /// <summary>Removes the pending deletes of files this erasure already deleted, so the catalog does not name them.</summary>
    private void ForgetDeleted(DuckDbConnection connection, List<string> deleted)
    {
        if (deleted.Count == 0)
        {
            return;
        }

        var paths = new HashSet<string>(deleted, StringComparer.Ordinal);
        MaintenanceCommon.TryCommit(_commit, connection, current =>
        {
            var kept = current.PendingDeletes.Where(p => !paths.Contains(p.Path)).ToImmutableArray();
            return kept.Length == current.PendingDeletes.Count ? null : current with { PendingDeletes = kept };
        });
    }
}
