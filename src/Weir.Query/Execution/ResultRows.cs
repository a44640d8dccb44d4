using Weir.DuckDb;

namespace Weir.Query.Execution;

/// <summary>Reads a result whole, as boxed values: for report results, which are small (a page of rows at most).</summary>
public static class ResultRows
{
    /// <summary>Every row of <paramref name="result"/>, which is disposed.</summary>
    public static List<object?[]> ReadAll(DuckDbResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using (result)
        {
            return Read(result, int.MaxValue, out _);
        }
    }

    /// <summary>
    /// Up to <paramref name="maxRows"/> rows of <paramref name="result"/>; <paramref name="truncated"/> says whether
    /// there were more. Reading stops there, so a streaming result computes no further rows.
    /// </summary>
    public static List<object?[]> Read(DuckDbResult result, int maxRows, out bool truncated)
    {
        ArgumentNullException.ThrowIfNull(result);
        var rows = new List<object?[]>();
        truncated = false;
        while (!truncated && result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                for (var r = 0; r < chunk.RowCount; r++)
                {
                    if (rows.Count == maxRows)
                    {
                        truncated = true;
                        break;
                    }

                    var row = new object?[chunk.ColumnCount];
                    for (var c = 0; c < row.Length; c++)
                    {
                        row[c] = chunk.GetVector(c).GetValue(r);
                    }

                    rows.Add(row);
                }
            }
        }

        return rows;
    }
}
