using BenchmarkDotNet.Attributes;
using Weir.DuckDb;

namespace Weir.Bench.DuckDb;

/// <summary>
/// Appending rows through Weir's appender, against DuckDB inserting the same rows from a Parquet file. DuckDB's
/// INSERT runs on every core; one appender is one thread, so the parallel case gives each core its own connection
/// and appender, each writing a contiguous share of the rows, as a loader on this machine would.
/// </summary>
public class AppenderBenchmarks
{
    private DuckDbDatabase _database = null!;
    private DuckDbConnection _connection = null!;
    private DuckDbConnection[] _workers = [];

    public static BenchmarkData Data { get; set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        _database = DuckDbDatabase.Open();
        _connection = _database.Connect();
        _workers = new DuckDbConnection[Environment.ProcessorCount];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = _database.Connect();
        }
    }

    public static int Threads => Environment.ProcessorCount;

    [IterationSetup]
    public void EmptyTable() => _connection.Execute($"CREATE OR REPLACE TABLE t({BenchmarkData.Schema})");

    [Benchmark(Baseline = true, Description = "DuckDB INSERT from Parquet")]
    public long ParquetInsert() => _connection.Execute($"INSERT INTO t SELECT * FROM '{Data.ParquetPath}'");

    [Benchmark(Description = "Weir appender, one per core")]
    public long AppenderPerCore()
    {
        var rows = Data.Rows;
        var share = (rows + _workers.Length - 1) / _workers.Length;
        Parallel.For(0, _workers.Length, new ParallelOptions { MaxDegreeOfParallelism = _workers.Length },
            w => Append(_workers[w], w * share, Math.Min(rows, (w + 1) * share)));
        return rows;
    }

    [Benchmark(Description = "Weir appender, one thread")]
    public long Appender() => Append(_connection, 0, Data.Rows);

    private static long Append(DuckDbConnection connection, int from, int to)
    {
        var data = Data;
        using var appender = connection.CreateAppender("t");
        for (var i = from; i < to; i++)
        {
            appender.CreateRow().Append(data.A[i]).Append(data.B[i]).AppendUtf8(data.C(i)).Append(data.D[i]).EndRow();
        }

        appender.Close();
        return to - from;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        var count = (long)_connection.ExecuteScalar("SELECT count(*) FROM t")!;
        if (count != Data.Rows)
        {
            throw new InvalidOperationException($"The table holds {count} rows, not {Data.Rows}.");
        }

        foreach (var worker in _workers)
        {
            worker.Dispose();
        }

        _connection.Dispose();
        _database.Dispose();
    }
}
