using System.Text;

namespace Weir.DuckDb.Tests;

public sealed class AppenderTests : IDisposable
{
    private readonly TestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    private const string AllTypes = """
        CREATE TABLE t(
            b BOOLEAN, i8 TINYINT, i16 SMALLINT, i32 INTEGER, i64 BIGINT, u64 UBIGINT, h HUGEINT, d DOUBLE,
            s VARCHAR, bl BLOB, dt DATE, ts TIMESTAMP, tz TIMESTAMPTZ, u UUID, l VARCHAR[], j JSON)
        """;

    [Fact]
    public void Every_supported_type_round_trips_through_the_appender()
    {
        _db.Connection.Execute(AllTypes);
        var id = Guid.Parse("c0ffee00-1234-4abc-8def-0123456789ab");
        var ts = new DateTime(2026, 11, 21, 10, 30, 0, DateTimeKind.Utc).AddTicks(12340);
        var tz = new DateTimeOffset(2026, 11, 21, 10, 30, 0, TimeSpan.FromHours(-5));
        using (var appender = _db.Connection.CreateAppender("t"))
        {
            Assert.Equal(16, appender.ColumnCount);
            appender.CreateRow()
                .Append(true).Append(-5).Append(300).Append(-70000).Append(long.MaxValue).Append(ulong.MaxValue)
                .Append(Int128.MaxValue).Append(0.125).Append("a string of more than twelve bytes")
                .Append(new byte[] { 0, 1, 2 }).Append(new DateOnly(1999, 12, 31)).Append(ts).Append(tz).Append(id)
                .Append(new[] { "x", null, "a list element longer than twelve" }).Append("{\"k\":1}")
                .EndRow();
            appender.CreateRow()
                .AppendNull().AppendNull().AppendNull().AppendNull().AppendNull().AppendNull().AppendNull().AppendNull()
                .AppendNull().AppendNull().AppendNull().AppendNull().AppendNull().AppendNull().AppendNull().AppendNull()
                .EndRow();
            appender.Close();
        }

        var rows = _db.Rows("SELECT * FROM t");
        Assert.Equal(2, rows.Count);
        var row = rows[0];
        Assert.Equal(true, row[0]);
        Assert.Equal((sbyte)-5, row[1]);
        Assert.Equal((short)300, row[2]);
        Assert.Equal(-70000, row[3]);
        Assert.Equal(long.MaxValue, row[4]);
        Assert.Equal(ulong.MaxValue, row[5]);
        Assert.Equal(Int128.MaxValue, row[6]);
        Assert.Equal(0.125, row[7]);
        Assert.Equal("a string of more than twelve bytes", row[8]);
        Assert.Equal(new byte[] { 0, 1, 2 }, row[9]);
        Assert.Equal(new DateOnly(1999, 12, 31), row[10]);
        Assert.Equal(DateTime.SpecifyKind(ts, DateTimeKind.Unspecified), row[11]);
        Assert.Equal(tz.ToUniversalTime(), row[12]);
        Assert.Equal(id, row[13]);
        Assert.Equal(new object?[] { "x", null, "a list element longer than twelve" }, (object?[])row[14]!);
        Assert.Equal("{\"k\":1}", row[15]);
        Assert.All(rows[1], Assert.Null);
        Assert.Equal(1L, _db.Connection.ExecuteScalar("SELECT count(*) FROM t WHERE j->>'k' = '1'"));
    }

    [Fact]
    public void A_struct_of_integers_round_trips_with_null_fields_and_null_structs_over_many_chunks()
    {
        _db.Connection.Execute("CREATE TABLE t(k INTEGER, s STRUCT(a INTEGER, b BIGINT, c SMALLINT))");
        const int rows = 5000; // more than two chunks
        using (var appender = _db.Connection.CreateAppender("t"))
        {
            Assert.Equal("STRUCT(a INTEGER, b BIGINT, c SMALLINT)", appender.ColumnTypes[1].SqlName);
            for (var k = 0; k < rows; k++)
            {
                var row = appender.CreateRow().Append(k);
                row = (k % 7) switch
                {
                    0 => row.AppendNull(),
                    1 => row.AppendIntegerStruct([null, long.MinValue, null]),
                    _ => row.AppendIntegerStruct([k, k * 1_000_000_000L, (long)(k % 300)]),
                };
                row.EndRow();
            }

            appender.Close();
        }

        var read = _db.Rows("SELECT k, s IS NULL, s.a, s.b, s.c FROM t ORDER BY k");
        Assert.Equal(rows, read.Count);
        for (var k = 0; k < rows; k++)
        {
            object?[] expected = (k % 7) switch
            {
                0 => [k, true, null, null, null],
                1 => [k, false, null, long.MinValue, null],
                _ => [k, false, k, k * 1_000_000_000L, (short)(k % 300)],
            };
            Assert.Equal(expected, read[k]);
        }
    }

    [Fact]
    public void A_struct_field_out_of_range_drops_the_row_and_leaves_no_null_behind()
    {
        _db.Connection.Execute("CREATE TABLE t(k INTEGER, s STRUCT(a INTEGER, b SMALLINT))");
        using (var appender = _db.Connection.CreateAppender("t"))
        {
            // The first field is marked NULL before the second fails: the dropped row must not leave that mark on the
            // row written next in its place.
            var error = Assert.Throws<DuckDbException>(() => appender.CreateRow().AppendNull().AppendIntegerStruct([null, 70_000]).EndRow());
            Assert.Contains("outside its range", error.Message);
            Assert.Throws<DuckDbException>(() => appender.CreateRow().Append(1).AppendIntegerStruct([1]));
            appender.CreateRow().Append(2).AppendIntegerStruct([3, 4]).EndRow();
            appender.Close();
        }

        Assert.Equal([[2, 3, (short)4]], _db.Rows("SELECT k, s.a, s.b FROM t"));
    }

    [Fact]
    public void Strings_of_every_length_compare_equal_in_sql()
    {
        _db.Connection.Execute("CREATE TABLE s(n INTEGER, v VARCHAR)");
        var values = new List<string>();
        for (var n = 0; n <= 40; n++)
        {
            values.Add(string.Concat(Enumerable.Range(0, n).Select(i => (char)('a' + (i % 26)))));
            values.Add(new string('é', n));
        }

        using (var appender = _db.Connection.CreateAppender("s"))
        {
            for (var i = 0; i < values.Count; i++)
            {
                appender.CreateRow().Append(i).Append(values[i]).EndRow();
            }
        }

        var rows = _db.Rows("SELECT n, v FROM s ORDER BY n");
        Assert.Equal(values, rows.Select(r => (string)r[1]!));
        for (var i = 0; i < values.Count; i++)
        {
            using var query = _db.Connection.Prepare("SELECT count(*) FROM s WHERE v = $1 AND n = $2");
            query.Bind(1, values[i]).Bind(2, (long)i);
            Assert.Equal(1L, TestDatabase.ReadAll(query.Execute())[0][0]);
        }
    }

    [Fact]
    public void Many_chunks_of_rows_arrive_intact()
    {
        const int Rows = 100_003;
        _db.Connection.Execute("CREATE TABLE m(a BIGINT, b DOUBLE, c VARCHAR, d TIMESTAMP, l VARCHAR[])");
        var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        using (var appender = _db.Connection.CreateAppender("m"))
        {
            string[] tags = ["t1", "a-tag-long-enough-to-point"];
            for (var i = 0; i < Rows; i++)
            {
                var row = appender.CreateRow().Append((long)i).Append(i * 0.5);
                row = i % 7 == 0 ? row.AppendNull() : row.Append($"value-number-{i:D8}");
                row.Append(start.AddSeconds(i)).Append(i % 5 == 0 ? tags : []).EndRow();
            }
        }

        var stats = _db.Rows("""
            SELECT count(*), sum(a), sum(b), count(c), count(DISTINCT c), max(d), sum(len(l)),
                   count(*) FILTER (WHERE c = 'value-number-' || lpad(a::VARCHAR, 8, '0'))
            FROM m
            """)[0];
        Assert.Equal((long)Rows, stats[0]);
        Assert.Equal((Int128)((long)Rows * (Rows - 1) / 2), stats[1]);
        Assert.Equal((double)Rows * (Rows - 1) / 4, stats[2]);
        var nonNull = Rows - ((Rows + 6) / 7);
        Assert.Equal((long)nonNull, stats[3]);
        Assert.Equal((long)nonNull, stats[4]);
        Assert.Equal(start.AddSeconds(Rows - 1), stats[5]);
        Assert.Equal((Int128)(2 * ((Rows + 4) / 5)), stats[6]);
        Assert.Equal((long)nonNull, stats[7]);
    }

    [Fact]
    public void Appending_rows_allocates_nothing_in_steady_state()
    {
        _db.Connection.Execute("CREATE TABLE z(a BIGINT, b DOUBLE, c VARCHAR, d TIMESTAMP)");
        var texts = Enumerable.Range(0, 64).Select(i => $"page-/products/item-{i:D4}").ToArray();
        var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        using var appender = _db.Connection.CreateAppender("z");

        void Append(int from, int count)
        {
            for (var i = from; i < from + count; i++)
            {
                appender.CreateRow().Append((long)i).Append(i * 1.5).Append(texts[i & 63]).Append(start.AddTicks(i * 10)).EndRow();
            }
        }

        Append(0, 20_000);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Append(20_000, 200_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        appender.Close();

        Assert.Equal(220_000L, _db.Connection.ExecuteScalar("SELECT count(*) FROM z"));
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void A_row_with_too_few_or_too_many_values_is_refused()
    {
        _db.Connection.Execute("CREATE TABLE w(a BIGINT, b VARCHAR)");
        using var appender = _db.Connection.CreateAppender("w");
        var few = Assert.Throws<DuckDbException>(() => appender.CreateRow().Append(1L).EndRow());
        Assert.Contains("got 1 values; it has 2 columns", few.Message, StringComparison.Ordinal);
        var many = Assert.Throws<DuckDbException>(() => appender.CreateRow().Append(1L).Append("x").Append("y"));
        Assert.Contains("past the last one", many.Message, StringComparison.Ordinal);
        appender.CreateRow().Append(2L).Append("ok").EndRow();
        appender.Close();
        Assert.Equal(2L, _db.Connection.ExecuteScalar("SELECT sum(a)::BIGINT FROM w"));
    }

    [Fact]
    public void A_value_of_the_wrong_type_names_the_column()
    {
        _db.Connection.Execute("CREATE TABLE w(a BIGINT, b VARCHAR, c TINYINT)");
        using var appender = _db.Connection.CreateAppender("w");
        var error = Assert.Throws<DuckDbException>(() => appender.CreateRow().Append(1L).Append(2.5));
        Assert.Equal("Column 1 is VARCHAR; a Double cannot be appended to it.", error.Message);
        var range = Assert.Throws<DuckDbException>(() => appender.CreateRow().Append(1L).Append("x").Append(1000));
        Assert.Equal("Column 2 is TINYINT; 1000 is outside its range.", range.Message);
        appender.CreateRow().Append(1L).Append("x").Append(100).EndRow();
        appender.Close();
        Assert.Equal(1L, _db.Connection.ExecuteScalar("SELECT count(*) FROM w WHERE c = 100"));
    }

    [Fact]
    public void Invalid_utf8_never_reaches_a_varchar()
    {
        _db.Connection.Execute("CREATE TABLE w(b VARCHAR)");
        using var appender = _db.Connection.CreateAppender("w");
        var error = Assert.Throws<DuckDbException>(() => appender.CreateRow().AppendUtf8([0x61, 0xFF, 0xFE]));
        Assert.Contains("not valid UTF-8", error.Message, StringComparison.Ordinal);
        appender.CreateRow().AppendUtf8(Encoding.UTF8.GetBytes("fine ✓")).EndRow();
        appender.Close();
        Assert.Equal("fine ✓", _db.Connection.ExecuteScalar("SELECT b FROM w"));
    }

    [Fact]
    public void A_constraint_violation_surfaces_with_duckdbs_message()
    {
        _db.Connection.Execute("CREATE TABLE k(id BIGINT PRIMARY KEY)");
        var appender = _db.Connection.CreateAppender("k");
        appender.CreateRow().Append(1L).EndRow();
        appender.CreateRow().Append(1L).EndRow();
        var error = Assert.Throws<DuckDbException>(appender.Close);
        Assert.Contains("constraint violation", error.Message, StringComparison.Ordinal);
        Assert.Contains("duplicate key \"1\"", error.Message, StringComparison.Ordinal);
        appender.Dispose();
        Assert.Equal(0L, _db.Connection.ExecuteScalar("SELECT count(*) FROM k"));
    }

    [Fact]
    public void An_appender_on_a_missing_table_fails_with_duckdbs_message()
    {
        var error = Assert.Throws<DuckDbException>(() => _db.Connection.CreateAppender("missing"));
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Disposing_an_appender_writes_its_pending_rows()
    {
        _db.Connection.Execute("CREATE TABLE p(a INTEGER)");
        using (var appender = _db.Connection.CreateAppender("p"))
        {
            appender.CreateRow().Append(7).EndRow();
        }

        Assert.Equal(7, _db.Connection.ExecuteScalar("SELECT a FROM p"));
    }
}
