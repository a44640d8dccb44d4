namespace Weir.DuckDb.Tests;

/// <summary>An in-memory database and one connection, disposed together.</summary>
internal sealed class TestDatabase : IDisposable
{
    public TestDatabase(DuckDbConfig? config = null)
    {
        Database = DuckDbDatabase.Open(null, config);
        Connection = Database.Connect();
    }

    public DuckDbDatabase Database { get; }

    public DuckDbConnection Connection { get; }

    /// <summary>Every row of a query, boxed, for assertions.</summary>
    public List<object?[]> Rows(string sql) => ReadAll(Connection.Query(sql));

    public static List<object?[]> ReadAll(DuckDbResult result)
    {
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
                        for (var c = 0; c < chunk.ColumnCount; c++)
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

    public void Dispose()
    {
        Connection.Dispose();
        Database.Dispose();
    }
}

internal static class ProcessMemory
{
    /// <summary>
    /// Resident memory outside the managed heap, after a full collection: native leaks show here, while the GC
    /// growing its heap budget (which it does for a while under any allocation rate) does not.
    /// </summary>
    public static long SettledNative()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.WorkingSet64 - GC.GetGCMemoryInfo().TotalCommittedBytes;
    }
}
