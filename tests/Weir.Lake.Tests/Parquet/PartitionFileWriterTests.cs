using Weir.DuckDb;
using Weir.Lake.Hot;
using Weir.Lake.Parquet;

namespace Weir.Lake.Tests.Parquet;

public sealed class PartitionFileWriterTests : IDisposable
{
    private static readonly DateOnly Day = new(2026, 11, 3);
    private readonly TempDirectory _data = new();
    private readonly DuckDbDatabase _database = DuckDbDatabase.Open();
    private readonly DuckDbConnection _connection;
    private readonly LakeLayout _layout;
    private readonly PartitionFileWriter _writer;

    public PartitionFileWriterTests()
    {
        _connection = _database.Connect();
        _connection.Execute("SET TimeZone = 'UTC'");
        // A table with exactly the lake's columns, from the hot table's definition.
        HotTable.Create(_connection);
        _connection.Execute($"CREATE TABLE source AS SELECT * EXCLUDE ({EventColumns.LogPosition}) FROM {HotTable.RowsView}");
        _layout = new LakeLayout(_data.Path);
        _writer = new PartitionFileWriter(_layout);
    }

    public void Dispose()
    {
        _connection.Dispose();
        _database.Dispose();
        _data.Dispose();
    }

    [Fact]
    public void A_partition_becomes_one_sorted_zstd_file_in_its_hive_folder()
    {
        Insert("m3", "2026-11-03 18:00:00", "2026-11-03 18:00:01");
        Insert("m1", "2026-11-03 01:00:00", "2026-11-03 18:00:02");
        Insert("m2", "2026-11-03 09:30:00.123456", "2026-11-03 18:00:03");

        var file = _writer.Write(_connection, "source", "site1", Day, "00000000000000000000-00000000000000000100")!;

        Assert.Equal(_layout.PartitionDirectory("site1", Day), Path.GetDirectoryName(file.Path));
        Assert.EndsWith(Path.Combine("lake", "events", "site_id=site1", "event_date=2026-11-03", "00000000000000000000-00000000000000000100.parquet"), file.Path, StringComparison.Ordinal);
        Assert.Equal(3, file.Rows);
        Assert.Equal(new FileInfo(file.Path).Length, file.Bytes);
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 1, 0, 0, TimeSpan.Zero), file.MinTimestamp);
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 18, 0, 0, TimeSpan.Zero), file.MaxTimestamp);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(file.Path)!, "*.tmp"));

        Assert.Equal(["m1", "m2", "m3"], Strings($"SELECT message_id FROM read_parquet('{file.Path}')"));
        Assert.Equal(["ZSTD"], Strings($"SELECT DISTINCT compression FROM parquet_metadata('{file.Path}') WHERE path_in_schema = 'message_id'"));
        // site_id lives in the folder name only, as Hive-style readers expect.
        Assert.Empty(Strings($"SELECT name FROM parquet_schema('{file.Path}') WHERE name = 'site_id'"));
        Assert.Equal(["site1 2026-11-03 3"], Strings(
            $"SELECT site_id || ' ' || event_date || ' ' || count(*) FROM read_parquet('{_layout.Events}/*/*/*.parquet', hive_partitioning = true) GROUP BY site_id, event_date"));
    }

    [Fact]
    public void An_empty_source_writes_nothing()
    {
        Assert.Null(_writer.Write(_connection, "source", "site1", Day, "empty"));
        Assert.False(Directory.Exists(_layout.PartitionDirectory("site1", Day)) &&
                     Directory.EnumerateFiles(_layout.PartitionDirectory("site1", Day)).Any());
    }

    [Fact]
    public void Merging_keeps_the_first_received_copy_of_each_message_and_sorts_by_time()
    {
        Insert("a", "2026-11-03 10:00:00", "2026-11-03 10:00:05", title: "first a");
        Insert("b", "2026-11-03 08:00:00", "2026-11-03 10:00:06");
        var first = _writer.Write(_connection, "source", "site1", Day, "00000000000000000000-00000000000000000010")!;
        _connection.Execute("DELETE FROM source");
        Insert("a", "2026-11-03 10:00:00", "2026-11-03 11:00:00", title: "late copy of a");
        Insert("c", "2026-11-03 09:00:00", "2026-11-03 11:00:01");
        Insert("a", "2026-11-03 10:00:00", "2026-11-03 09:59:00", title: "earliest a, arrived in a later batch");
        var second = _writer.Write(_connection, "source", "site1", Day, "00000000000000000010-00000000000000000020")!;

        var merged = _writer.Merge(_connection, [first.Path, second.Path], "site1", Day, "00000000000000000000-00000000000000000020-c1")!;

        Assert.Equal(3, merged.Rows);
        Assert.Equal(["b", "c", "a"], Strings($"SELECT message_id FROM read_parquet('{merged.Path}')"));
        Assert.Equal(["earliest a, arrived in a later batch"], Strings($"SELECT title FROM read_parquet('{merged.Path}') WHERE message_id = 'a'"));
    }

    [Theory]
    [InlineData("site1", "../escape")]
    [InlineData("site1", "a.b")]
    [InlineData("../site", "ok")]
    [InlineData("site'1", "ok")]
    public void Names_that_could_leave_the_partition_folder_are_refused(string site, string file)
    {
        Insert("m", "2026-11-03 10:00:00", "2026-11-03 10:00:00");
        Assert.Throws<ArgumentException>(() => _writer.Write(_connection, "source", site, Day, file));
    }

    private void Insert(string id, string timestamp, string receivedAt, string? title = null) =>
        _connection.Execute(
            $"INSERT INTO source (message_id, site_id, type, event, \"timestamp\", received_at, title, properties, protocol) " +
            $"VALUES ('{id}', 'site1', 'track', 'Signup', TIMESTAMPTZ '{timestamp}+00', TIMESTAMPTZ '{receivedAt}+00', " +
            $"{(title is null ? "NULL" : "'" + title.Replace("'", "''", StringComparison.Ordinal) + "'")}, '{{\"plan\":\"pro\"}}', 'segment')");

    private List<string?> Strings(string sql)
    {
        var values = new List<string?>();
        using var result = _connection.Query(sql);
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
}
