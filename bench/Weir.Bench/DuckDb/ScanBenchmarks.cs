using System.Numerics;
using BenchmarkDotNet.Attributes;
using Weir.DuckDb;

namespace Weir.Bench.DuckDb;

/// <summary>
/// Reading every row through Weir's typed readers, against DuckDB computing an aggregate over the same columns
/// itself. All produce count(*), sum(a), sum(b), max(length(c)), max(d), and the results are checked to agree.
/// Two ways to read: a visit (the rows reach C# inside DuckDB's pipeline, on its worker threads) and a streaming
/// result (one consumer; DuckDB copies every chunk, strings included, into the result first).
/// </summary>
public class ScanBenchmarks
{
    private DuckDbDatabase _database = null!;
    private DuckDbConnection _connection = null!;

    public static BenchmarkData Data { get; set; } = null!;

    public static ScanTotals Expected { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _database = DuckDbDatabase.Open();
        _connection = _database.Connect();
        _connection.Execute($"CREATE TABLE t AS SELECT * FROM '{Data.ParquetPath}'");
    }

    [Benchmark(Baseline = true, Description = "DuckDB aggregate")]
    public ScanTotals DuckDbAggregate()
    {
        using var result = _connection.Query("SELECT count(*), sum(a)::BIGINT, sum(b), max(length(c)), epoch_us(max(d)) FROM t");
        using var chunk = result.NextChunk()!;
        var totals = new ScanTotals
        {
            Count = chunk.GetVector(0).GetInt64(0),
            SumA = chunk.GetVector(1).GetInt64(0),
            SumB = chunk.GetVector(2).GetDouble(0),
            MaxLengthC = chunk.GetVector(3).GetInt64(0),
            MaxD = chunk.GetVector(4).GetInt64(0),
        };
        return Check(totals);
    }

    [Benchmark(Description = "Weir typed readers, visit")]
    public ScanTotals VisitedTypedReaders()
    {
        var visitor = new TotalsVisitor();
        _connection.Visit("SELECT a, b, c, d FROM t", visitor);
        return Check(visitor.Totals);
    }

    [Benchmark(Description = "Weir typed readers, streaming result")]
    public ScanTotals StreamedTypedReaders()
    {
        var totals = new ScanTotals { MaxD = long.MinValue };
        using var result = _connection.QueryStreaming("SELECT a, b, c, d FROM t");
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                totals.Merge(Reduce(chunk));
            }
        }

        return Check(totals);
    }

    /// <summary>The per-chunk work, the same for both ways of reading: SIMD over the fixed-width columns.</summary>
    private static ScanTotals Reduce(DuckDbDataChunk chunk)
    {
        var a = chunk.GetVector(0).GetValues<long>();
        var b = chunk.GetVector(1).GetValues<double>();
        var c = chunk.GetVector(2).GetStrings();
        var d = chunk.GetVector(3).GetValues<long>();
        var totals = new ScanTotals { Count = a.Length, MaxD = long.MinValue };

        var i = 0;
        var sumA = Vector<long>.Zero;
        var sumB = Vector<double>.Zero;
        var maxD = new Vector<long>(long.MinValue);
        for (; i + Vector<long>.Count <= a.Length; i += Vector<long>.Count)
        {
            sumA += new Vector<long>(a[i..]);
            sumB += new Vector<double>(b[i..]);
            maxD = Vector.Max(maxD, new Vector<long>(d[i..]));
        }

        totals.SumA = Vector.Sum(sumA);
        totals.SumB = Vector.Sum(sumB);
        for (var lane = 0; lane < Vector<long>.Count; lane++)
        {
            totals.MaxD = Math.Max(totals.MaxD, maxD[lane]);
        }

        for (; i < a.Length; i++)
        {
            totals.SumA += a[i];
            totals.SumB += b[i];
            totals.MaxD = Math.Max(totals.MaxD, d[i]);
        }

        var maxLength = 0;
        foreach (ref readonly var text in c)
        {
            maxLength = Math.Max(maxLength, Utf8CodePoints.Count(text.Bytes));
        }

        totals.MaxLengthC = maxLength;
        return totals;
    }

    private sealed class TotalsVisitor : IDuckDbChunkVisitor
    {
        private readonly Lock _gate = new();
        private ScanTotals _totals = new() { MaxD = long.MinValue };

        public ScanTotals Totals => _totals;

        public void Visit(DuckDbDataChunk chunk)
        {
            var partial = Reduce(chunk);
            lock (_gate)
            {
                _totals.Merge(partial);
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _connection.Dispose();
        _database.Dispose();
    }

    private static ScanTotals Check(ScanTotals totals)
    {
        // Floating-point sums depend on the order of addition, which parallel aggregation does not fix.
        var expected = Expected;
        if (totals.Count != expected.Count || totals.SumA != expected.SumA || totals.MaxLengthC != expected.MaxLengthC ||
            totals.MaxD != expected.MaxD || Math.Abs(totals.SumB - expected.SumB) > Math.Abs(expected.SumB) * 1e-9)
        {
            throw new InvalidOperationException($"Scan disagrees: got {totals}, expected {expected}.");
        }

        return totals;
    }
}
