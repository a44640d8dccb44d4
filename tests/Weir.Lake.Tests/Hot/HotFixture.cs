using System.Text;
using System.Text.Json;
using Weir.Core.Events;
using Weir.DuckDb;
using Weir.Lake.Hot;

namespace Weir.Lake.Tests.Hot;

/// <summary>An in-memory database with the hot table, an appender on it, a decoder and a writer.</summary>
internal sealed class HotFixture : IDisposable
{
    public HotFixture(IHotRowEnricher? enricher = null)
    {
        Database = DuckDbDatabase.Open();
        Connection = Database.Connect();
        HotTable.Create(Connection);
        Appender = HotTable.CreateAppender(Connection);
        Dimensions = HotDimensions.Open(Connection);
        Writer = new HotRowWriter(Appender, Dimensions, enricher);
    }

    public DuckDbDatabase Database { get; }

    public DuckDbConnection Connection { get; }

    public DuckDbAppender Appender { get; }

    public HotDimensions Dimensions { get; }

    public RecordDecoder Decoder { get; } = new();

    public HotRowWriter Writer { get; }

    /// <summary>Decodes and appends; returns the refusal reason, or null when the row was appended.</summary>
    public string? Load(ReadOnlySpan<byte> record, long position)
    {
        if (!Decoder.TryDecode(record, out var decoded, out var error))
        {
            return error;
        }

        Writer.Append(decoded, position);
        return null;
    }

    public string? Load(string record, long position) => Load(Encoding.UTF8.GetBytes(record), position);

    /// <summary>Publishes the interned enrichment values and hands the appended rows to DuckDB, as a lane does.</summary>
    public void Flush()
    {
        Dimensions.Publish(Connection);
        Appender.Flush();
    }

    public long Count()
    {
        Flush();
        return (long)Connection.ExecuteScalar($"SELECT count(*) FROM {HotTable.Name}")!;
    }

    /// <summary>Every row (the contract's columns, then log_position) by column name, in log order, as readers see them.</summary>
    public List<Dictionary<string, object?>> Rows(string where = "true")
    {
        Flush();
        using var result = Connection.Query(
            $"SELECT {HotTable.SelectList}, log_position FROM {HotTable.RowsView} WHERE {where} ORDER BY log_position");
        var rows = new List<Dictionary<string, object?>>();
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                for (var r = 0; r < chunk.RowCount; r++)
                {
                    var row = new Dictionary<string, object?>();
                    for (var c = 0; c < chunk.ColumnCount; c++)
                    {
                        row[result.GetColumnName(c)] = chunk.GetVector(c).GetValue(r);
                    }

                    rows.Add(row);
                }
            }
        }

        return rows;
    }

    public object? Scalar(string sql)
    {
        Flush();
        return Connection.ExecuteScalar(sql);
    }

    public static byte[] Record(CanonicalEvent value)
    {
        var buffer = new PooledBufferWriter();
        using (buffer)
        {
            using (var writer = new Utf8JsonWriter(buffer, CanonicalEventWriter.WriterOptions))
            {
                CanonicalEventWriter.Write(writer, value);
            }

            return buffer.WrittenSpan.ToArray();
        }
    }

    public void Dispose()
    {
        Decoder.Dispose();
        Appender.Dispose();
        Connection.Dispose();
        Database.Dispose();
    }
}
