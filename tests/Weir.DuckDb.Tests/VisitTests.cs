using System.Collections.Concurrent;

namespace Weir.DuckDb.Tests;

public sealed class VisitTests : IDisposable
{
    private readonly TestDatabase _db = new(new DuckDbConfig { Threads = 2 });

    public void Dispose() => _db.Dispose();

    private sealed class Summing : IDuckDbChunkVisitor
    {
        private readonly Lock _gate = new();

        public long Rows { get; private set; }

        public long Sum { get; private set; }

        public long Nulls { get; private set; }

        public ConcurrentDictionary<string, bool> Texts { get; } = new();

        public void Visit(DuckDbDataChunk chunk)
        {
            var x = chunk.GetVector(0);
            var s = chunk.GetVector(1);
            var values = x.GetValues<long>();
            long sum = 0, nulls = 0;
            for (var i = 0; i < chunk.RowCount; i++)
            {
                if (x.IsValid(i))
                {
                    sum += values[i];
                }
                else
                {
                    nulls++;
                }

                if (s.IsValid(i) && values[i] % 100_000 == 1)
                {
                    Texts[s.GetString(i)] = true;
                }
            }

            lock (_gate)
            {
                Rows += chunk.RowCount;
                Sum += sum;
                Nulls += nulls;
            }
        }
    }

    [Fact]
    public void Every_row_reaches_the_visitor_exactly_once()
    {
        var visitor = new Summing();
        _db.Connection.Visit(
            "SELECT CASE WHEN range % 10 = 0 THEN NULL ELSE range END AS x, 'row number ' || range::VARCHAR AS s FROM range(1000000)",
            visitor);
        Assert.Equal(1_000_000, visitor.Rows);
        Assert.Equal(100_000, visitor.Nulls);
        Assert.Equal((999_999L * 1_000_000 / 2) - (99_999L * 100_000 / 2 * 10), visitor.Sum);
        Assert.Equal(10, visitor.Texts.Count);
        Assert.Contains("row number 900001", visitor.Texts.Keys);
    }

    [Fact]
    public void A_visit_reads_a_table_with_every_column_type()
    {
        _db.Connection.Execute("CREATE TABLE t AS SELECT range AS x, range::VARCHAR AS s, ['a', range::VARCHAR] AS l, TIMESTAMP '2026-01-01' + INTERVAL (range) SECOND AS ts FROM range(5000)");
        var visitor = new Summing();
        _db.Connection.Visit("SELECT x, s FROM t WHERE x > 100", visitor);
        Assert.Equal(4899, visitor.Rows);
        Assert.Equal((4999L * 5000 / 2) - (100L * 101 / 2), visitor.Sum);
    }

    private sealed class Throwing : IDuckDbChunkVisitor
    {
        public void Visit(DuckDbDataChunk chunk) => throw new InvalidOperationException("visitor gave up");
    }

    [Fact]
    public void An_exception_in_the_visitor_fails_the_query_and_is_kept()
    {
        var error = Assert.Throws<DuckDbException>(() => _db.Connection.Visit("SELECT range FROM range(10)", new Throwing()));
        Assert.Contains("visitor gave up", error.Message, StringComparison.Ordinal);
        var inner = Assert.IsType<AggregateException>(error.InnerException);
        Assert.IsType<InvalidOperationException>(inner.InnerExceptions[0]);
        Assert.Equal(1, _db.Connection.ExecuteScalar("SELECT 1"));
    }

    [Fact]
    public void Only_a_select_can_be_visited()
    {
        _db.Connection.Execute("CREATE TABLE t(x INTEGER)");
        Assert.Throws<ArgumentException>(() => _db.Connection.Visit("INSERT INTO t VALUES (1)", new Summing()));
        Assert.Equal(0L, _db.Connection.ExecuteScalar("SELECT count(*) FROM t"));
    }

    private sealed class Keeping : IDuckDbChunkVisitor
    {
        public DuckDbDataChunk? Kept { get; private set; }

        public void Visit(DuckDbDataChunk chunk) => Kept = chunk;
    }

    [Fact]
    public void A_chunk_kept_past_its_visit_cannot_be_read()
    {
        var visitor = new Keeping();
        _db.Connection.Visit("SELECT 1 AS x", visitor);
        Assert.NotNull(visitor.Kept);
        Assert.Throws<ObjectDisposedException>(() => visitor.Kept!.GetVector(0));
    }

    [Fact]
    public void A_visit_past_its_timeout_is_interrupted()
    {
        var error = Assert.Throws<DuckDbTimeoutException>(() =>
            _db.Connection.Visit("SELECT a.range * b.range AS x, 'y' AS s FROM range(100000) a, range(100000) b", new Summing(), TimeSpan.FromMilliseconds(300)));
        Assert.Contains("Interrupt", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Visits_work_from_several_connections_of_one_database()
    {
        using var other = _db.Database.Connect();
        var first = new Summing();
        var second = new Summing();
        _db.Connection.Visit("SELECT range AS x, 'a' AS s FROM range(3000)", first);
        other.Visit("SELECT range AS x, 'b' AS s FROM range(4000)", second);
        Assert.Equal(3000, first.Rows);
        Assert.Equal(4000, second.Rows);
    }
}
