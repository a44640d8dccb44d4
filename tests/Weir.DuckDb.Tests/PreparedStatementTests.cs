namespace Weir.DuckDb.Tests;

public sealed class PreparedStatementTests : IDisposable
{
    private readonly TestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    private object? RoundTrip(string sql, Action<DuckDbPreparedStatement> bind)
    {
        using var statement = _db.Connection.Prepare(sql);
        bind(statement);
        return TestDatabase.ReadAll(statement.Execute())[0][0];
    }

    [Fact]
    public void Every_parameter_type_round_trips()
    {
        var when = new DateTimeOffset(2026, 11, 21, 23, 19, 8, 123, TimeSpan.FromHours(2)).AddTicks(4560);
        var id = Guid.Parse("f47ac10b-58cc-4372-a567-0e02b2c3d479");
        Assert.Equal(true, RoundTrip("SELECT $1", s => s.Bind(1, true)));
        Assert.Equal(long.MaxValue, RoundTrip("SELECT $1", s => s.Bind(1, long.MaxValue)));
        Assert.Equal(2.5, RoundTrip("SELECT $1", s => s.Bind(1, 2.5)));
        Assert.Equal("short", RoundTrip("SELECT $1", s => s.Bind(1, "short")));
        var longText = new string('x', 2000) + "✓";
        Assert.Equal(longText, RoundTrip("SELECT $1", s => s.Bind(1, longText)));
        Assert.Equal(when.ToUniversalTime(), RoundTrip("SELECT $1", s => s.Bind(1, when)));
        Assert.Equal(id, RoundTrip("SELECT $1", s => s.Bind(1, id)));
        Assert.Equal(new byte[] { 1, 2, 0, 255 }, RoundTrip("SELECT $1", s => s.Bind(1, new byte[] { 1, 2, 0, 255 })));
        Assert.Equal(Array.Empty<byte>(), RoundTrip("SELECT $1", s => s.Bind(1, Array.Empty<byte>())));
        Assert.Null(RoundTrip("SELECT $1::INTEGER", s => s.BindNull(1)));
        Assert.Null(RoundTrip("SELECT $1::VARCHAR", s => s.Bind(1, (string?)null)));
    }

    [Fact]
    public void Bound_values_reach_typed_columns()
    {
        _db.Connection.Execute("CREATE TABLE t(b BOOLEAN, i BIGINT, d DOUBLE, s VARCHAR, ts TIMESTAMPTZ, u UUID, bl BLOB)");
        using var insert = _db.Connection.Prepare("INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7)");
        Assert.Equal(DuckDbStatementType.Insert, insert.StatementType);
        Assert.Equal(7, insert.ParameterCount);
        var id = Guid.NewGuid();
        insert.Bind(1, (object)false).Bind(2, (object)7).Bind(3, (object)1.25f).Bind(4, (object)"s")
            .Bind(5, (object)new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc)).Bind(6, (object)id).Bind(7, (object)new byte[] { 9 });
        Assert.Equal(1, insert.ExecuteNonQuery());
        var row = _db.Rows("SELECT b, i, d, s, ts, u, bl FROM t")[0];
        Assert.Equal(new object?[] { false, 7L, 1.25, "s", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), id, new byte[] { 9 } }, row);
    }

    [Fact]
    public void A_statement_runs_again_with_new_bindings_and_clears_them()
    {
        using var statement = _db.Connection.Prepare("SELECT $1 + 1");
        Assert.Equal(2L, TestDatabase.ReadAll(statement.Bind(1, 1L).Execute())[0][0]);
        Assert.Equal(11L, TestDatabase.ReadAll(statement.Bind(1, 10L).Execute())[0][0]);
        statement.ClearBindings();
        Assert.Throws<DuckDbException>(() => statement.Execute());
    }

    [Fact]
    public void The_statement_type_is_known_before_it_runs()
    {
        _db.Connection.Execute("CREATE TABLE t(x INTEGER)");
        (string Sql, DuckDbStatementType Type)[] cases =
        [
            ("SELECT 1", DuckDbStatementType.Select),
            ("INSERT INTO t VALUES (1)", DuckDbStatementType.Insert),
            ("UPDATE t SET x = 2", DuckDbStatementType.Update),
            ("DELETE FROM t", DuckDbStatementType.Delete),
            ("COPY t TO '/dev/null'", DuckDbStatementType.Copy),
            ("PRAGMA enable_profiling", DuckDbStatementType.Pragma),
            ("SET threads = 1", DuckDbStatementType.Set),
            ("CREATE TABLE u(y INTEGER)", DuckDbStatementType.Create),
            ("EXPLAIN SELECT 1", DuckDbStatementType.Explain),
        ];
        foreach (var (sql, type) in cases)
        {
            using var statement = _db.Connection.Prepare(sql);
            Assert.Equal(type, statement.StatementType);
        }

        Assert.Equal(0L, _db.Connection.ExecuteScalar("SELECT count(*) FROM t"));
    }

    [Fact]
    public void A_prepare_error_carries_duckdbs_message()
    {
        var error = Assert.Throws<DuckDbException>(() => _db.Connection.Prepare("SELECT * FROM missing_table"));
        Assert.Contains("missing_table", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binding_outside_the_parameters_is_refused()
    {
        using var statement = _db.Connection.Prepare("SELECT $1");
        Assert.Throws<ArgumentOutOfRangeException>(() => statement.Bind(0, 1L));
        Assert.Throws<ArgumentOutOfRangeException>(() => statement.Bind(2, 1L));
        Assert.Throws<ArgumentException>(() => statement.Bind(1, (object)new Uri("http://x")));
    }

    [Fact]
    public void A_value_the_column_cannot_take_fails_with_duckdbs_conversion_message()
    {
        using var statement = _db.Connection.Prepare("SELECT $1::INTEGER");
        statement.Bind(1, "not a number");
        var error = Assert.Throws<DuckDbException>(() => statement.Execute());
        Assert.Contains("Conversion Error", error.Message, StringComparison.Ordinal);
    }
}

public sealed class StatementScriptTests : IDisposable
{
    private readonly TestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void A_script_splits_into_statements_prepared_one_at_a_time()
    {
        using var statements = _db.Connection.ExtractStatements("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2); SELECT sum(x) AS s FROM t");
        Assert.Equal(3, statements.Count);
        using (var create = statements.Prepare(0))
        {
            Assert.Equal(DuckDbStatementType.Create, create.StatementType);
            create.ExecuteNonQuery();
        }

        using (var insert = statements.Prepare(1))
        {
            Assert.Equal(DuckDbStatementType.Insert, insert.StatementType);
            Assert.Equal(2, insert.ExecuteNonQuery());
        }

        using var select = statements.Prepare(2);
        Assert.Equal(DuckDbStatementType.Select, select.StatementType);
        using var result = select.ExecuteStreaming();
        Assert.Equal((Int128)3, TestDatabase.ReadAll(result)[0][0]);
    }

    [Fact]
    public void A_script_that_does_not_parse_fails_with_duckdbs_message()
    {
        var error = Assert.Throws<DuckDbException>(() => _db.Connection.ExtractStatements("SELECT 1; SELEC 2"));
        Assert.Contains("syntax error", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Throws<DuckDbException>(() => _db.Connection.ExtractStatements("  -- nothing here\n"));
    }

    [Fact]
    public void A_statement_that_does_not_bind_names_its_place()
    {
        using var statements = _db.Connection.ExtractStatements("SELECT 1; SELECT * FROM missing");
        var error = Assert.Throws<DuckDbException>(() => statements.Prepare(1));
        Assert.Contains("statement 2 of 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }
}

public sealed class StreamingLifetimeTests : IDisposable
{
    private readonly TestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void A_streaming_result_outlives_its_disposed_statement()
    {
        DuckDbResult result;
        using (var statement = _db.Connection.Prepare("SELECT range AS x FROM range(10000)"))
        {
            result = statement.ExecuteStreaming();
        }

        var rows = TestDatabase.ReadAll(result);
        Assert.Equal(10000, rows.Count);
        Assert.Equal(9999L, rows[^1][0]);
    }
}
