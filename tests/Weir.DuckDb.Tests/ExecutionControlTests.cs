namespace Weir.DuckDb.Tests;

public sealed class ExecutionControlTests : IDisposable
{
    // About 10^10 joined rows: far longer than any test waits, so only an interrupt ends it.
    private const string EndlessQuery = "SELECT sum(a.range * b.range) FROM range(100000) a, range(100000) b";

    private readonly TestDatabase _db = new(new DuckDbConfig { Threads = 2 });

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task Interrupt_from_another_thread_stops_a_running_query()
    {
        var connection = _db.Connection;
        var running = Task.Factory.StartNew(() => connection.Query(EndlessQuery), TaskCreationOptions.LongRunning);
        SpinWait.SpinUntil(() => connection.IsExecuting || running.IsCompleted, TimeSpan.FromSeconds(30));
        Assert.True(connection.Interrupt());

        var error = await Assert.ThrowsAsync<DuckDbException>(() => running.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Interrupt", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(connection.IsExecuting);
        Assert.Equal(1, connection.ExecuteScalar("SELECT 1"));
    }

    [Fact]
    public void Interrupt_when_nothing_runs_does_nothing()
    {
        Assert.False(_db.Connection.Interrupt());
        Assert.Equal(1, _db.Connection.ExecuteScalar("SELECT 1"));
    }

    [Fact]
    public void A_query_past_its_timeout_is_interrupted_and_the_connection_stays_usable()
    {
        var error = Assert.Throws<DuckDbTimeoutException>(() => _db.Connection.Query(EndlessQuery, TimeSpan.FromMilliseconds(200)));
        Assert.Equal(TimeSpan.FromMilliseconds(200), error.Timeout);
        Assert.Contains("0.2 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("Interrupt", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(2L, _db.Connection.ExecuteScalar("SELECT 2::BIGINT"));
    }

    [Fact]
    public void A_query_within_its_timeout_is_not_disturbed_by_it()
    {
        Assert.Equal(3L, TestDatabase.ReadAll(_db.Connection.Query("SELECT 3::BIGINT", TimeSpan.FromSeconds(30)))[0][0]);
        using var statement = _db.Connection.Prepare("SELECT count(*) FROM range(1000)");
        Assert.Equal(1000L, TestDatabase.ReadAll(statement.Execute(TimeSpan.FromSeconds(30)))[0][0]);
    }

    [Fact]
    public void A_streaming_read_past_its_timeout_is_interrupted()
    {
        using var statement = _db.Connection.Prepare("SELECT a.range * b.range AS x FROM range(100000) a, range(100000) b");
        var error = Assert.Throws<DuckDbTimeoutException>(() =>
        {
            using var result = statement.ExecuteStreaming(TimeSpan.FromMilliseconds(300));
            while (result.NextChunk() is { } chunk)
            {
                chunk.Dispose();
            }
        });
        Assert.Contains("Interrupt", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(_db.Connection.IsExecuting);
    }

    [Fact]
    public async Task The_progress_of_a_running_query_can_be_read_from_another_thread()
    {
        var connection = _db.Connection;
        connection.Execute("CREATE TABLE big AS SELECT range AS x FROM range(20000000)");
        connection.EnableProgressTracking();
        Assert.Equal(-1, connection.Progress.Percentage);

        var running = Task.Factory.StartNew(
            () => connection.Query("SELECT sum(length(md5(x::VARCHAR))) FROM big"),
            TaskCreationOptions.LongRunning);
        DuckDbQueryProgress seen = default;
        var found = SpinWait.SpinUntil(() => (seen = connection.Progress).Percentage > 0 || running.IsCompleted, TimeSpan.FromSeconds(60));
        connection.Interrupt();
        try
        {
            (await running.WaitAsync(TimeSpan.FromSeconds(60))).Dispose();
        }
        catch (DuckDbException)
        {
        }

        Assert.True(found);
        Assert.InRange(seen.Percentage, double.Epsilon, 100);
        Assert.True(seen.RowsProcessed > 0);
        Assert.True(seen.TotalRowsToProcess >= seen.RowsProcessed);
    }

    [Fact]
    public void A_connection_refuses_a_second_statement_while_a_stream_is_open()
    {
        using var result = _db.Connection.QueryStreaming("SELECT range FROM range(100000)");
        using (result.NextChunk())
        {
        }

        Assert.Throws<InvalidOperationException>(() => _db.Connection.Query("SELECT 1"));
    }
}
