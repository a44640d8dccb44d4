using System.Globalization;
using Weir.DuckDb;
using Weir.Lake.Catalog;
using Weir.Lake.Hot;
using Weir.Lake.Parquet;

namespace Weir.Lake.Tests.Maintenance;

/// <summary>One row of a test file: the columns maintenance cares about; the others are filled with fixed values.</summary>
internal sealed record TestRow(string MessageId, DateTimeOffset Timestamp, DateTimeOffset ReceivedAt, string? UserId = null, string? AnonymousId = null, string? Title = null);

/// <summary>
/// A real lake in a temporary folder: DuckDB in memory, the layout, the catalog and a manual clock. Files are written by
/// the real <see cref="PartitionFileWriter"/> and committed as the flush does.
/// </summary>
internal sealed class LakeTestBed : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 5, 20, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _data = new();

    public LakeTestBed()
    {
        Database = DuckDbDatabase.Open();
        Connection = Database.Connect();
        Connection.Execute("SET TimeZone = 'UTC'");
        HotTable.Create(Connection);
        Connection.Execute($"CREATE TABLE source AS SELECT * EXCLUDE ({EventColumns.LogPosition}) FROM {HotTable.RowsView}");
        Layout = new LakeLayout(_data.Path);
        Catalog = CatalogStore.Open(Layout.Root);
        Writer = new PartitionFileWriter(Layout);
    }

    public DuckDbDatabase Database { get; }

    public DuckDbConnection Connection { get; }

    public LakeLayout Layout { get; }

    public CatalogStore Catalog { get; }

    public PartitionFileWriter Writer { get; }

    public ManualTimeProvider Time { get; } = new(Start);

    /// <summary>Writes <paramref name="rows"/> as the file <c>&lt;logStart&gt;-&lt;logEnd&gt;</c> of a partition and commits it.</summary>
    public CatalogFile AddFile(string siteId, DateOnly day, long logStart, long logEnd, params TestRow[] rows)
    {
        Connection.Execute("DELETE FROM source");
        using (var insert = Connection.Prepare(
            "INSERT INTO source (message_id, site_id, type, event, \"timestamp\", received_at, user_id, anonymous_id, title, properties, protocol) " +
            "VALUES ($1, $2, 'track', 'Signup', $3, $4, $5, $6, $7, '{\"plan\":\"pro\"}', 'segment')"))
        {
            foreach (var row in rows)
            {
                insert.Bind(1, row.MessageId).Bind(2, siteId).Bind(3, row.Timestamp).Bind(4, row.ReceivedAt)
                    .Bind(5, row.UserId).Bind(6, row.AnonymousId).Bind(7, row.Title).ExecuteNonQuery();
            }
        }

        return Commit(siteId, day, logStart, logEnd);
    }

    /// <summary>
    /// Writes <paramref name="count"/> generated rows (message ids <c>&lt;prefix&gt;-0</c>…, one second apart on
    /// <paramref name="day"/>, user ids <c>user-&lt;i mod 7&gt;</c>) as one file and commits it.
    /// </summary>
    public CatalogFile AddGeneratedFile(string siteId, DateOnly day, long logStart, long logEnd, string prefix, int count)
    {
        Connection.Execute("DELETE FROM source");
        var midnight = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Connection.Execute(
            "INSERT INTO source (message_id, site_id, type, event, \"timestamp\", received_at, user_id, anonymous_id, properties, protocol) " +
            $"SELECT '{prefix}-' || i, '{siteId}', 'track', 'Signup', TIMESTAMPTZ '{midnight} 00:00:00+00' + to_seconds(i), " +
            $"TIMESTAMPTZ '{midnight} 23:00:00+00', 'user-' || (i % 7), 'anon-' || i, '{{\"i\":' || i || '}}', 'segment' FROM range({count}) t(i)");
        return Commit(siteId, day, logStart, logEnd);
    }

    public string Absolute(CatalogFile file) => Layout.Absolute(file.Path);

    /// <summary>Every absolute path the current catalog lists, as a DuckDB list literal.</summary>
    public string CurrentFileList() => FileList(Catalog.Current);

    public string FileList(CatalogSnapshot snapshot) =>
        "[" + string.Join(", ", snapshot.Files.Select(f => "'" + Layout.Absolute(f.Path) + "'")) + "]";

    public long Scalar(string sql) => Convert.ToInt64(Connection.ExecuteScalar(sql), CultureInfo.InvariantCulture);

    public List<string?> Strings(string sql)
    {
        var values = new List<string?>();
        using var result = Connection.Query(sql);
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                for (var row = 0; row < chunk.RowCount; row++)
                {
                    values.Add(chunk.GetVector(0).GetValue(row)?.ToString());
                }
            }
        }

        return values;
    }

    /// <summary>Every file under the lake folder, absolute paths, sorted.</summary>
    public List<string> FilesOnDisk() =>
        Directory.Exists(Layout.Root)
            ? [.. Directory.GetFiles(Layout.Root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)]
            : [];

    /// <summary>Asserts that the lake folder holds exactly these files (absolute paths), in any order.</summary>
    public void AssertFilesOnDisk(params string[] expected) => Assert.Equal(expected.Order(StringComparer.Ordinal), FilesOnDisk());

    public static DateTimeOffset At(DateOnly day, int hour, int minute = 0, int second = 0) =>
        new(day, new TimeOnly(hour, minute, second), TimeSpan.Zero);

    public void Dispose()
    {
        Connection.Dispose();
        Database.Dispose();
        _data.Dispose();
    }

    private CatalogFile Commit(string siteId, DateOnly day, long logStart, long logEnd)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"{logStart:D20}-{logEnd:D20}");
        var written = Writer.Write(Connection, "source", siteId, day, name) ?? throw new InvalidOperationException("A test file needs rows.");
        var file = new CatalogFile
        {
            Path = Layout.Relative(written.Path),
            SiteId = siteId,
            EventDate = day,
            Rows = written.Rows,
            Bytes = written.Bytes,
            MinTimestamp = written.MinTimestamp,
            MaxTimestamp = written.MaxTimestamp,
            LogStart = logStart,
            LogEnd = logEnd,
            CreatedAt = Time.GetUtcNow(),
        };
        Catalog.Commit(s => s with { Files = [.. s.Files, file], Watermark = Math.Max(s.Watermark, logEnd) });
        return file;
    }
}
