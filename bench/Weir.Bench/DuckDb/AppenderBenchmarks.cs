using BenchmarkDotNet.Attributes;
using Weir.DuckDb;

namespace Weir.Bench.DuckDb;

/// <summary>
/// Appending rows through Weir's appender, against DuckDB inserting the same rows from a Parquet file.
/// </summary>
public class AppenderBenchmarks
{
    private DuckDbDatabase _database = null!;
    private DuckDbConnection _connection = null!;

    public static BenchmarkData Data { get; set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        _database = DuckDbDatabase.Open();
        _connection = _database.Connect();
    }

    [IterationSetup]
    public void EmptyTable() => _connection.Execute($"CREATE OR REPLACE TABLE t({BenchmarkData.Schema})");

    [Benchmark(Baseline = true, Description = "DuckDB INSERT from Parquet")]
    public long ParquetInsert() => _connection.Execute($"INSERT INTO t SELECT * FROM '{Data.ParquetPath}'");

    [Benchmark(Description = "Weir appender")]
    public long Appender()
    {
        var data = Data;
        using var appender = _connection.CreateAppender("t");
        for (var i = 0; i < data.Rows; i++)
        {
            appender.CreateRow().Append(data.A[i]).Append(data.B[i]).AppendUtf8(data.C(i)).Append(data.D[i]).EndRow();
        }

        appender.Close();
        return data.Rows;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        var count = (long)_connection.ExecuteScalar("SELECT count(*) FROM t")!;
        if (count != Data.Rows)
        {
            throw new InvalidOperationException($"The table holds {count} rows, not {Data.Rows}.");
        }

        _connection.Dispose();
        _database.Dispose();
    }
}
