using System.Text;
using Weir.DuckDb;

namespace Weir.Bench.DuckDb;

/// <summary>
/// The rows both sides of the DuckDB benchmarks work on: (BIGINT, DOUBLE, VARCHAR of about 20 ASCII characters,
/// TIMESTAMP). All-ASCII strings are the stricter comparison: DuckDB's length() has a fast path for them (a few
/// non-ASCII strings make its aggregate about 1.7 times slower). DuckDB generates the rows once; the appender gets
/// them as arrays and UTF-8, as the loader will have them.
/// </summary>
public sealed class BenchmarkData : IDisposable
{
    public const string Schema = "a BIGINT, b DOUBLE, c VARCHAR, d TIMESTAMP";

    private BenchmarkData(string directory, int rows)
    {
        Directory = directory;
        Rows = rows;
        ParquetPath = Path.Combine(directory, "rows.parquet");
        A = new long[rows];
        B = new double[rows];
        D = new DateTime[rows];
        COffsets = new int[rows + 1];
    }

    public string Directory { get; }

    public int Rows { get; }

    public string ParquetPath { get; }

    public long[] A { get; }

    public double[] B { get; }

    public byte[] CBytes { get; private set; } = [];

    public int[] COffsets { get; }

    public DateTime[] D { get; }

    public ReadOnlySpan<byte> C(int row) => CBytes.AsSpan(COffsets[row], COffsets[row + 1] - COffsets[row]);

    public static BenchmarkData Create(int rows)
    {
        var data = new BenchmarkData(System.IO.Directory.CreateTempSubdirectory("weir-bench-").FullName, rows);
        using var db = DuckDbDatabase.Open();
        using var connection = db.Connect();
        connection.Execute($"""
            CREATE TABLE src AS
            SELECT range AS a,
                   ((range % 100003) * 0.25)::DOUBLE AS b,
                   'visitor-' || lpad(((range * 7919) % 9999991)::VARCHAR, 7, '0') || '-' || (range % 89)::VARCHAR AS c,
                   TIMESTAMP '2026-01-01' + to_microseconds(range * 1013) AS d
            FROM range({rows});
            COPY src TO '{data.ParquetPath}' (FORMAT parquet, COMPRESSION zstd);
            """);

        using var result = connection.QueryStreaming("SELECT a, b, c, d FROM src ORDER BY a");
        var bytes = new MemoryStream();
        var row = 0;
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                var a = chunk.GetVector(0).GetValues<long>();
                var b = chunk.GetVector(1).GetValues<double>();
                var c = chunk.GetVector(2);
                var d = chunk.GetVector(3);
                for (var i = 0; i < chunk.RowCount; i++, row++)
                {
                    data.A[row] = a[i];
                    data.B[row] = b[i];
                    data.COffsets[row] = (int)bytes.Length;
                    bytes.Write(c.GetBytes(i));
                    data.D[row] = d.GetDateTime(i);
                }
            }
        }

        data.COffsets[row] = (int)bytes.Length;
        data.CBytes = bytes.ToArray();
        return data;
    }

    /// <summary>The same aggregate the scan benchmark computes, from the arrays.</summary>
    public ScanTotals ExpectedTotals()
    {
        var totals = new ScanTotals { MaxD = long.MinValue };
        for (var i = 0; i < Rows; i++)
        {
            totals.Add(A[i], B[i], Encoding.UTF8.GetCharCount(C(i)), DuckDbTime.ToMicros(D[i]));
        }

        return totals;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

/// <summary>count(*), sum(a), sum(b), max(length(c)), max(d) — the work both scans must do.</summary>
public struct ScanTotals
{
    public long Count;
    public long SumA;
    public double SumB;
    public long MaxLengthC;
    public long MaxD;

    public void Add(long a, double b, long lengthC, long d)
    {
        Count++;
        SumA += a;
        SumB += b;
        MaxLengthC = Math.Max(MaxLengthC, lengthC);
        MaxD = Math.Max(MaxD, d);
    }

    public void Merge(in ScanTotals other)
    {
        Count += other.Count;
        SumA += other.SumA;
        SumB += other.SumB;
        MaxLengthC = Math.Max(MaxLengthC, other.MaxLengthC);
        MaxD = Math.Max(MaxD, other.MaxD);
    }

    public override readonly string ToString() => $"count={Count} sum(a)={SumA} sum(b)={SumB:R} max(length(c))={MaxLengthC} max(d)={MaxD}";
}
