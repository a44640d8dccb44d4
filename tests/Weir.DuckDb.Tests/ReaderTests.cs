using System.Text;

namespace Weir.DuckDb.Tests;

public sealed class ReaderTests : IDisposable
{
    private readonly TestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    private DuckDbVector Single(string sql, out DuckDbDataChunk chunk, out DuckDbResult result)
    {
        result = _db.Connection.Query(sql);
        chunk = result.NextChunk()!;
        return chunk.GetVector(0);
    }

    private T Scalar<T>(string sql, Func<DuckDbVector, T> read)
    {
        var vector = Single(sql, out var chunk, out var result);
        using (result)
        using (chunk)
        {
            return read(vector);
        }
    }

    [Fact]
    public void Integers_of_every_width_read_as_spans_and_values()
    {
        Assert.Equal([true, false], Scalar("SELECT * FROM (VALUES (true), (false)) v(x)", v => v.GetValues<bool>().ToArray()));
        Assert.Equal(-128, Scalar("SELECT (-128)::TINYINT", v => v.GetInt64(0)));
        Assert.Equal(-32768, Scalar("SELECT (-32768)::SMALLINT", v => v.GetInt64(0)));
        Assert.Equal(int.MinValue, Scalar("SELECT (-2147483648)::INTEGER", v => v.GetValues<int>()[0]));
        Assert.Equal(long.MinValue, Scalar("SELECT (-9223372036854775808)::BIGINT", v => v.GetValues<long>()[0]));
        Assert.Equal(ulong.MaxValue, Scalar("SELECT 18446744073709551615::UBIGINT", v => v.GetUInt64(0)));
        Assert.Equal(Int128.MinValue + 1, Scalar("SELECT (-170141183460469231731687303715884105727)::HUGEINT", v => v.GetHugeInt(0)));
        Assert.Equal(Int128.Parse("123456789012345678901234567890", System.Globalization.CultureInfo.InvariantCulture),
            Scalar("SELECT 123456789012345678901234567890::HUGEINT", v => v.GetValues<Int128>()[0]));
        Assert.Equal(UInt128.MaxValue, Scalar("SELECT 340282366920938463463374607431768211455::UHUGEINT", v => v.GetUHugeInt(0)));
    }

    [Fact]
    public void Doubles_and_decimals_read_exactly()
    {
        Assert.Equal(Math.PI, Scalar("SELECT pi()", v => v.GetDouble(0)));
        Assert.Equal(-0.25, Scalar("SELECT (-0.25)::DOUBLE", v => v.GetValues<double>()[0]));
        Assert.Equal(1234.567m, Scalar("SELECT 1234.567::DECIMAL(7,3)", v => v.GetDecimal(0)));
        Assert.Equal(-98765432109876.54321m, Scalar("SELECT (-98765432109876.54321)::DECIMAL(30,5)", v => v.GetDecimal(0)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("twelve bytes")]
    [InlineData("thirteen byte")]
    [InlineData("a much longer string that does not fit inline at all")]
    [InlineData("ünïcödé ✓ 日本語 🎉")]
    public void Varchar_reads_inlined_and_pointed_strings(string text)
    {
        var escaped = text.Replace("'", "''", StringComparison.Ordinal);
        Assert.Equal(text, Scalar($"SELECT '{escaped}'::VARCHAR", v => v.GetString(0)));
        Assert.Equal(Encoding.UTF8.GetBytes(text), Scalar($"SELECT '{escaped}'::VARCHAR", v => v.GetBytes(0).ToArray()));
    }

    [Fact]
    public void String_headers_give_lengths_and_bytes_without_copying()
    {
        string[] texts = ["", "inline ✓", "twelve bytes", "a string that lives behind a pointer", "ü"];
        var values = string.Join(", ", texts.Select(t => $"('{t}')"));
        using var result = _db.Connection.Query($"SELECT x FROM (VALUES {values}) v(x)");
        using var chunk = result.NextChunk()!;
        var strings = chunk.GetVector(0).GetStrings();
        Assert.Equal(texts.Length, strings.Length);
        var copies = new DuckDbString[texts.Length];
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(Encoding.UTF8.GetByteCount(texts[i]), strings[i].Length);
            Assert.Equal(texts[i], Encoding.UTF8.GetString(strings[i].Bytes));
            copies[i] = strings[i];
        }

        // A header copied into a managed array still reads its inline bytes.
        GC.Collect();
        Assert.Equal(texts, copies.Select(c => Encoding.UTF8.GetString(c.Bytes)));
        Assert.Throws<DuckDbException>(() => Scalar("SELECT 1", v => v.GetStrings().Length));
    }

    [Fact]
    public void Blob_reads_its_bytes()
    {
        Assert.Equal(new byte[] { 0, 1, 0xFF, 0x80 }, Scalar("SELECT '\\x00\\x01\\xFF\\x80'::BLOB", v => v.GetBlob(0)));
        var longBlob = Scalar("SELECT repeat('\\xAB', 40)::BLOB", v => v.GetBlob(0));
        Assert.Equal(40, longBlob.Length);
        Assert.All(longBlob, b => Assert.Equal(0xAB, b));
    }

    [Fact]
    public void Dates_and_timestamps_read_as_dotnet_values()
    {
        Assert.Equal(new DateOnly(2026, 11, 21), Scalar("SELECT DATE '2026-11-21'", v => v.GetDate(0)));
        Assert.Equal(new DateOnly(1969, 12, 31), Scalar("SELECT DATE '1969-12-31'", v => v.GetDate(0)));
        Assert.Equal(new DateTime(2026, 11, 21, 23, 19, 8, DateTimeKind.Unspecified).AddTicks(1234560),
            Scalar("SELECT TIMESTAMP '2026-11-21 23:19:08.123456'", v => v.GetDateTime(0)));
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 22, 19, 8, TimeSpan.Zero),
            Scalar("SELECT TIMESTAMPTZ '2026-11-21 23:19:08+01:00'", v => v.GetDateTimeOffset(0)));
    }

    [Fact]
    public void An_infinite_timestamp_is_reported_not_misread()
    {
        var error = Assert.Throws<DuckDbException>(() => Scalar("SELECT 'infinity'::TIMESTAMP", v => v.GetDateTime(0)));
        Assert.Contains("infinity", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Uuids_read_as_guids_in_both_halves_of_the_range()
    {
        var low = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        var high = Guid.Parse("f0112233-4455-6677-8899-aabbccddeeff");
        Assert.Equal(low, Scalar($"SELECT '{low}'::UUID", v => v.GetGuid(0)));
        Assert.Equal(high, Scalar($"SELECT '{high}'::UUID", v => v.GetGuid(0)));
    }

    [Fact]
    public void A_list_of_varchar_reads_with_its_nulls()
    {
        var lists = _db.Rows("SELECT * FROM (VALUES (['a', NULL, 'a string longer than twelve']), ([]), (NULL)) v(x)");
        Assert.Equal(new object?[] { "a", null, "a string longer than twelve" }, (object?[])lists[0][0]!);
        Assert.Empty((object?[])lists[1][0]!);
        Assert.Null(lists[2][0]);
        Assert.Equal(new string?[] { "x", null }, Scalar("SELECT ['x', NULL]", v => v.GetStringList(0)));
    }

    [Fact]
    public void Json_reads_as_varchar_and_keeps_its_alias()
    {
        using var result = _db.Connection.Query("SELECT '{\"plan\": \"pro\"}'::JSON AS props");
        Assert.Equal("JSON", result.GetColumnType(0).Alias);
        Assert.Equal(DuckDbType.Varchar, result.GetColumnType(0).Type);
        using var chunk = result.NextChunk()!;
        Assert.Equal("{\"plan\": \"pro\"}", chunk.GetVector(0).GetString(0));
    }

    [Fact]
    public void The_validity_mask_marks_exactly_the_nulls()
    {
        using var result = _db.Connection.Query("SELECT CASE WHEN range % 3 = 0 THEN NULL ELSE range END AS x, range::VARCHAR AS y FROM range(5000)");
        var row = 0;
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                var x = chunk.GetVector(0);
                var y = chunk.GetVector(1);
                Assert.True(y.AllValid);
                var values = x.GetValues<long>();
                for (var i = 0; i < chunk.RowCount; i++, row++)
                {
                    Assert.Equal(row % 3 != 0, x.IsValid(i));
                    if (x.IsValid(i))
                    {
                        Assert.Equal(row, values[i]);
                    }
                }
            }
        }

        Assert.Equal(5000, row);
    }

    [Fact]
    public void Reading_a_column_as_the_wrong_type_is_refused()
    {
        var error = Assert.Throws<DuckDbException>(() => Scalar("SELECT 'x'", v => v.GetValues<long>().Length));
        Assert.Contains("VARCHAR", error.Message, StringComparison.Ordinal);
        Assert.Throws<DuckDbException>(() => Scalar("SELECT 1::INTEGER", v => v.GetValues<long>().Length));
        Assert.Throws<DuckDbException>(() => Scalar("SELECT 1::BIGINT", v => v.GetString(0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Scalar("SELECT 1::BIGINT", v => v.GetInt64(1)));
    }

    [Fact]
    public void Fixed_width_reads_allocate_nothing_per_value()
    {
        using var result = _db.Connection.Query(
            "SELECT range AS a, range::DOUBLE AS b, TIMESTAMP '2026-01-01' + to_microseconds(range) AS c, range % 2 = 0 AS d FROM range(100000)");
        long sumA = 0, sumC = 0, trues = 0;
        double sumB = 0;
        var chunks = new List<DuckDbDataChunk>();
        while (result.NextChunk() is { } chunk)
        {
            chunks.Add(chunk);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var chunk in chunks)
        {
            var a = chunk.GetVector(0);
            var b = chunk.GetVector(1);
            var c = chunk.GetVector(2);
            var d = chunk.GetVector(3);
            var aValues = a.GetValues<long>();
            var bValues = b.GetValues<double>();
            for (var i = 0; i < chunk.RowCount; i++)
            {
                if (a.IsValid(i))
                {
                    sumA += aValues[i];
                    sumB += bValues[i];
                    sumC += c.GetDateTime(i).Ticks & 1;
                    trues += d.GetBoolean(i) ? 1 : 0;
                }
            }
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        chunks.ForEach(c => c.Dispose());
        Assert.Equal(99999L * 100000 / 2, sumA);
        Assert.Equal(sumA, (long)sumB);
        Assert.Equal(0, sumC);
        Assert.Equal(50000, trues);
        Assert.Equal(0, allocated);
    }
}
