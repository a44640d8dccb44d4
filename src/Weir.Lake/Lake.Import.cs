using System.Globalization;
using System.Text;
using Weir.DuckDb;
using Weir.Lake.Catalog;
using Weir.Lake.Logging;
using Weir.Lake.Parquet;
using Weir.Lake.Query;

namespace Weir.Lake;

/// <summary>What <see cref="Lake.ImportAsync(string, int, CancellationToken)"/> wrote.</summary>
public sealed record ImportResult(long Rows, int Files, long Bytes, TimeSpan Duration);

/// <summary>
/// Bulk import: rows that never were in the log (generated or migrated traffic) go straight to Parquet files. The
/// caller fills a staging table from <see cref="CreateImportTable"/> (through appenders on its own connections), and
/// <see cref="ImportAsync(string, int, CancellationToken)"/> writes it out per partition, commits the files and republishes the view.
/// </summary>
/// <remarks>
/// The files get an empty log range and the watermark stays where it is: the log knows nothing of these rows, so
/// neither the loader nor a replay must think them covered. A replay (which rebuilds the lake from the log and the raw
/// zone) therefore loses them. Duplicates within an import, or between an import and other files, are kept until
/// <see cref="CompactAsync"/> merges the partition.
/// </remarks>
public sealed partial class Lake
{
    /// <summary>The DDL of a staging table: the columns of <see cref="EventColumns.All"/>, in order.</summary>
    public static string ImportTableStatement(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var sql = new StringBuilder("CREATE TABLE ").Append(Sql.Identifier(name)).Append(" (");
        for (var i = 0; i < EventColumns.All.Count; i++)
        {
            var column = EventColumns.All[i];
            sql.Append(i == 0 ? "" : ", ").Append(Sql.Identifier(column.Name)).Append(' ').Append(column.SqlType);
        }

        return sql.Append(')').ToString();
    }

    /// <summary>
    /// Creates an empty staging table <paramref name="name"/> in the lake's database, with the columns of
    /// <see cref="EventColumns.All"/>. Any connection from <see cref="Connect"/> can append to it.
    /// </summary>
    /// <exception cref="DuckDbException">A table of that name exists.</exception>
    public void CreateImportTable(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        using var connection = Connect();
        connection.Execute(ImportTableStatement(name));
    }

    /// <summary>
    /// Writes the rows of the staging table <paramref name="table"/> to one new file per (site, UTC date of
    /// <c>timestamp</c>) partition, sorted by time, commits them durably (the watermark unchanged), republishes the
    /// view and drops the table. Runs on the maintenance task, so it never races compaction. Appenders on the table
    /// must be closed first.
    /// </summary>
    /// <exception cref="ArgumentException">A row has no site, message id or timestamp.</exception>
    public Task<ImportResult> ImportAsync(string table, CancellationToken cancellationToken = default) =>
        ImportAsync(table, writers: 1, cancellationToken);

    /// <summary>
    /// As <see cref="ImportAsync(string, CancellationToken)"/>, with up to <paramref name="writers"/> partitions written
    /// at once, each on a connection of its own: DuckDB writes a partition smaller than a row group on one thread.
    /// </summary>
    public Task<ImportResult> ImportAsync(string table, int writers, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        ArgumentOutOfRangeException.ThrowIfLessThan(writers, 1);
        return RunMaintenanceAsync((lake, connection) => lake.Import(connection, table, writers, cancellationToken));
    }

    private ImportResult Import(DuckDbConnection connection, string table, int writers, CancellationToken cancellationToken)
    {
        var startedAt = _core.Time.GetTimestamp();
        var source = Sql.Identifier(table);
        if (ScalarLong(connection, $"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE \"site_id\" IS NULL OR \"message_id\" IS NULL OR \"timestamp\" IS NULL LIMIT 1)") > 0)
        {
            throw new ArgumentException($"The staging table {table} has rows without a site_id, message_id or timestamp; the lake cannot place them.", nameof(table));
        }

        var files = new PartitionFileWriter(_core.Layout);
        var now = _core.Time.GetUtcNow();
        // Unique within a partition, and sorted after the flush's names (digits), so a merge's tie between an imported
        // row and a loaded one keeps the loaded one.
        var name = string.Create(CultureInfo.InvariantCulture, $"import-{now:yyyyMMddHHmmssfff}-{Guid.NewGuid():N}");
        var partitions = Partitions(connection, source);
        var results = new WrittenFile?[partitions.Count];
        // Each partition's COPY reads the unsorted table through a range on timestamp (the same UTC day as
        // EventDateExpression): cheaper than sorting the whole table first, and nothing is held twice.
        void WritePartition(DuckDbConnection writer, int index)
        {
            var (site, date) = partitions[index];
            var from = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            var partition = $"(SELECT * FROM {source} WHERE \"site_id\" = {Sql.Literal(site)} " +
                $"AND \"timestamp\" >= {TimestampLiteral(from)} AND \"timestamp\" < {TimestampLiteral(from.AddDays(1))})";
            results[index] = files.Write(writer, partition, site, date, name);
        }

        if (writers == 1 || partitions.Count < 2)
        {
            for (var i = 0; i < partitions.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                WritePartition(connection, i);
            }
        }
        else
        {
            var next = -1;
            var tasks = new Task[Math.Min(writers, partitions.Count)];
            for (var t = 0; t < tasks.Length; t++)
            {
                tasks[t] = Task.Factory.StartNew(() =>
                {
                    using var writer = Connect();
                    for (var i = Interlocked.Increment(ref next); i < partitions.Count; i = Interlocked.Increment(ref next))
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        WritePartition(writer, i);
                    }
                }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }

            // Files written before a failure are named by no catalog entry: the next open deletes them.
            Task.WhenAll(tasks).GetAwaiter().GetResult();
        }

        var written = new List<CatalogFile>(results.Length);
        long rows = 0, bytes = 0;
        foreach (var file in results)
        {
            if (file is not null)
            {
                written.Add(file.ToCatalogFile(_core.Layout.Relative(file.Path), 0, 0, now));
                rows += file.Rows;
                bytes += file.Bytes;
            }
        }

        if (written.Count > 0)
        {
            _core.Commit(snapshot => snapshot with { Files = [.. snapshot.Files, .. written] }, connection);
        }

        // Only once committed: a failure before leaves the staging rows for another try.
        connection.Execute($"DROP TABLE {source}");
        var duration = _core.Time.GetElapsedTime(startedAt);
        LakeLog.Imported(_core.Logger, rows, written.Count, bytes, (long)duration.TotalMilliseconds);
        return new ImportResult(rows, written.Count, bytes, duration);
    }

    private static string TimestampLiteral(DateTimeOffset instant) =>
        string.Create(CultureInfo.InvariantCulture, $"TIMESTAMPTZ '{instant.UtcDateTime:yyyy-MM-dd HH:mm:ss}+00'");

    private static List<(string SiteId, DateOnly Date)> Partitions(DuckDbConnection connection, string source)
    {
        var partitions = new List<(string, DateOnly)>();
        using var result = connection.Query(
            $"SELECT DISTINCT {Sql.Identifier(EventColumns.SiteId)}, {EventsView.EventDateExpression} FROM {source} ORDER BY 1, 2");
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                var sites = chunk.GetVector(0);
                var dates = chunk.GetVector(1);
                for (var i = 0; i < chunk.RowCount; i++)
                {
                    partitions.Add((sites.GetString(i), dates.GetDate(i)));
                }
            }
        }

        return partitions;
    }

    private static long ScalarLong(DuckDbConnection connection, string sql)
    {
        using var result = connection.Query(sql);
        using var chunk = result.NextChunk() ?? throw new InvalidOperationException("DuckDB returned no row for a count.");
        return chunk.GetVector(0).GetValues<long>()[0];
    }
}
