namespace Weir.DuckDb.Tests;

[Collection(MemoryMeasurementCollection.Name)]
public sealed class LifetimeTests
{
    private const int Cycles = 100_000;

    [Fact]
    public void Hundred_thousand_open_close_cycles_keep_memory_flat()
    {
        using var database = DuckDbDatabase.Open(null, new DuckDbConfig { Threads = 1 });
        using (var setup = database.Connect())
        {
            setup.Execute("CREATE TABLE t(a BIGINT, s VARCHAR, l VARCHAR[])");
        }

        // Each cycle opens and closes every kind of handle but the database: connection, prepared statement,
        // result, data chunk and appender. Nothing is written, so the table does not grow.
        void Cycle(int i)
        {
            using var connection = database.Connect();
            using (var appender = connection.CreateAppender("t"))
            {
                appender.Close();
            }

            using var statement = connection.Prepare("SELECT $1::BIGINT AS a, 'a string too long to be inlined' AS s, ['x', 'y'] AS l");
            statement.Bind(1, (long)i);
            using var result = statement.Execute();
            using var chunk = result.NextChunk();
            if (chunk is null || chunk.GetVector(0).GetInt64(0) != i)
            {
                throw new InvalidOperationException($"Cycle {i} read back the wrong row.");
            }
        }

        for (var i = 0; i < 5_000; i++)
        {
            Cycle(i);
        }

        var before = ProcessMemory.SettledNative();
        for (var i = 5_000; i < Cycles; i++)
        {
            Cycle(i);
        }

        var growth = ProcessMemory.SettledNative() - before;
        // A leaked connection, statement, result, chunk or appender per cycle would cost hundreds of bytes to
        // kilobytes each: 95 000 of them is tens of megabytes at the least.
        Assert.True(growth < 8 * 1024 * 1024, $"Native memory grew by {growth / 1024} KiB over {Cycles - 5_000} cycles");
    }

    [Fact]
    public void Appenders_that_write_rows_release_their_buffers()
    {
        using var database = DuckDbDatabase.Open(null, new DuckDbConfig { Threads = 1 });
        using var connection = database.Connect();

        void Round()
        {
            connection.Execute("CREATE OR REPLACE TABLE t(a BIGINT, s VARCHAR, l VARCHAR[])");
            for (var i = 0; i < 500; i++)
            {
                using var appender = connection.CreateAppender("t");
                appender.CreateRow().Append((long)i).Append(new string('s', 300)).Append(["x", new string('l', 300)]).EndRow();
            }

            if ((long)connection.ExecuteScalar("SELECT count(*) FROM t")! != 500)
            {
                throw new InvalidOperationException("Rows went missing.");
            }
        }

        for (var i = 0; i < 4; i++)
        {
            Round();
        }

        var before = ProcessMemory.SettledNative();
        for (var i = 0; i < 20; i++)
        {
            Round();
        }

        // Every appender allocates a data chunk and a 256 KiB string arena: 10 000 leaked would be gigabytes.
        var growth = ProcessMemory.SettledNative() - before;
        Assert.True(growth < 32 * 1024 * 1024, $"Native memory grew by {growth / 1024} KiB over 10 000 appenders");
    }

    [Fact]
    public void Databases_open_and_close_without_leaking()
    {
        const int Databases = 400;
        for (var i = 0; i < 50; i++)
        {
            using var db = DuckDbDatabase.Open();
        }

        var before = ProcessMemory.SettledNative();
        for (var i = 0; i < Databases; i++)
        {
            using var db = DuckDbDatabase.Open(null, new DuckDbConfig { Threads = 1 });
            using var connection = db.Connect();
            connection.Execute("CREATE TABLE t AS SELECT range FROM range(100000)");
        }

        // Each database holds a table of about a megabyte; leaking them would add hundreds of megabytes.
        var growth = ProcessMemory.SettledNative() - before;
        Assert.True(growth < 48 * 1024 * 1024, $"Native memory grew by {growth / 1024} KiB over {Databases} databases");
    }

    [Fact]
    public void Streaming_fifty_million_rows_keeps_memory_flat()
    {
        using var db = DuckDbDatabase.Open(null, new DuckDbConfig { Threads = 2 });
        using var connection = db.Connect();
        using var result = connection.QueryStreaming("SELECT range AS x FROM range(50000000)");
        Assert.True(result.IsStreaming);

        long rows = 0, sum = 0, baseline = 0, peak = 0;
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                foreach (var x in chunk.GetVector(0).GetValues<long>())
                {
                    sum += x;
                }

                rows += chunk.RowCount;
            }

            if (rows % (2048 * 2000) == 0)
            {
                var rss = ProcessMemory.SettledNative();
                baseline = baseline == 0 ? rss : baseline;
                peak = Math.Max(peak, rss);
            }
        }

        Assert.Equal(50_000_000L, rows);
        Assert.Equal(49_999_999L * 50_000_000 / 2, sum);
        // Materialized, these rows alone would take 400 MB.
        Assert.True(peak - baseline < 64 * 1024 * 1024, $"Native memory rose by {(peak - baseline) / 1024} KiB while streaming");
    }

    [Fact]
    public void Handles_release_children_before_parents_whatever_the_dispose_order()
    {
        var db = DuckDbDatabase.Open();
        var connection = db.Connect();
        var statement = connection.Prepare("SELECT 41 + $1");
        db.Dispose();
        connection.Dispose();
        statement.Bind(1, 1L);
        Assert.Equal(42L, TestDatabase.ReadAll(statement.Execute())[0][0]);
        statement.Dispose();
        statement.Dispose();
        Assert.Throws<ObjectDisposedException>(() => statement.Execute());
        Assert.Throws<ObjectDisposedException>(() => connection.Query("SELECT 1"));
        Assert.Throws<ObjectDisposedException>(db.Connect);
    }
}
