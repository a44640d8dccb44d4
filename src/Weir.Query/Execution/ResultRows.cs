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
            var rows = new List<object?[]>();
            while (result.NextChunk() is { } chunk)
            {
                using (chunk)
                {
                    for (var r = 0; r < chunk.RowCount; r++)
                    {
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
}
