namespace Weir.DuckDb.Tests;

public sealed class QueryTests : IDisposable
{
    private readonly TestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void A_syntax_error_raises_duckdbs_parser_message()
    {
        var error = Assert.Throws<DuckDbException>(() => _db.Connection.Query("SELEC 1"));
        Assert.Contains("Parser Error", error.Message, StringComparison.Ordinal);
        Assert.Contains("SELEC", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_table_raises_duckdbs_catalog_message()
    {
        var error = Assert.Throws<DuckDbException>(() => _db.Connection.Query("SELECT * FROM no_such_table"));
        Assert.Contains("no_such_table", error.Message, StringComparison.Ordinal);
        Assert.Contains("Catalog Error", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_runtime_error_raises_duckdbs_message()
    {
        var error = Assert.Throws<DuckDbException>(() => _db.Rows("SELECT 'abc'::INTEGER"));
        Assert.Contains("Conversion Error", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Execute_reports_rows_changed_by_the_last_statement()
    {
        _db.Connection.Execute("CREATE TABLE t(x INTEGER)");
        Assert.Equal(3, _db.Connection.Execute("INSERT INTO t VALUES (1), (2), (3)"));
        Assert.Equal(2, _db.Connection.Execute("UPDATE t SET x = x + 1 WHERE x > 1"));
        Assert.Equal(1, _db.Connection.Execute("DELETE FROM t WHERE x = 1"));
    }

    [Fact]
    public void A_result_describes_its_columns()
    {
        using var result = _db.Connection.Query("SELECT 1::BIGINT AS a, 'x' AS b, ['p', 'q'] AS c, '{}'::JSON AS d, 1.5::DECIMAL(10,2) AS e");
        Assert.Equal(["a", "b", "c", "d", "e"], result.ColumnNames);
        Assert.Equal(["BIGINT", "VARCHAR", "VARCHAR[]", "JSON", "DECIMAL(10,2)"], result.ColumnTypes.Select(t => t.SqlName));
        Assert.Equal(DuckDbStatementType.Select, result.StatementType);
        Assert.False(result.IsStreaming);
    }

    [Fact]
    public void A_materialized_result_comes_in_chunks_of_the_vector_size()
    {
        using var result = _db.Connection.Query("SELECT range AS x FROM range(10000)");
        var sizes = new List<int>();
        long sum = 0;
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                sizes.Add(chunk.RowCount);
                foreach (var x in chunk.GetVector(0).GetValues<long>())
                {
                    sum += x;
                }
            }
        }

        Assert.Equal(9999L * 10000 / 2, sum);
        Assert.Equal(10000, sizes.Sum());
        Assert.Equal(2048, sizes[0]);
        Assert.Null(result.NextChunk());
    }

    [Fact]
    public void Several_statements_run_in_order_and_the_last_one_answers()
    {
        var rows = _db.Rows("CREATE TABLE t AS SELECT 5 AS x; INSERT INTO t VALUES (6); SELECT sum(x) FROM t");
        Assert.Equal((Int128)11, rows[0][0]);
    }

    [Fact]
    public void Reading_after_dispose_throws_instead_of_touching_freed_memory()
    {
        var result = _db.Connection.Query("SELECT 1");
        result.Dispose();
        Assert.Throws<ObjectDisposedException>(() => result.NextChunk());

        using var live = _db.Connection.Query("SELECT 1");
        var chunk = live.NextChunk()!;
        chunk.Dispose();
        Assert.Throws<ObjectDisposedException>(() => chunk.GetVector(0));
    }
}
