using Weir.DuckDb.Handles;
using Weir.DuckDb.Native;

namespace Weir.DuckDb;

/// <summary>Progress of the query running on a connection. <see cref="Percentage"/> is -1 when nothing is tracked.</summary>
public readonly record struct DuckDbQueryProgress(double Percentage, ulong RowsProcessed, ulong TotalRowsToProcess);

/// <summary>
/// A connection to a <see cref="DuckDbDatabase"/>. Not thread-safe: one thread at a time runs statements on it.
/// <see cref="Interrupt"/> and <see cref="Progress"/> are the exceptions, made to be called from another thread.
/// </summary>
/// <remarks>
/// A streaming result reads from the connection as it goes, so the connection must not run another statement
/// until that result is disposed; DuckDB would invalidate it.
/// </remarks>
public sealed class DuckDbConnection : IDisposable
{
    private static readonly TimeSpan InterruptRetry = TimeSpan.FromMilliseconds(50);

    private readonly Lock _runGate = new();
    private long _runId;
    private bool _running;
    private long _timedOutRunId = -1;
    private ITimer? _retryTimer;

    private readonly DuckDbDatabase _database;

    internal DuckDbConnection(ConnectionHandle handle, DuckDbDatabase database)
    {
        Handle = handle;
        _database = database;
    }

    internal ConnectionHandle Handle { get; }

    /// <summary>True while a statement runs or a streaming result is being read.</summary>
    public bool IsExecuting
    {
        get
        {
            lock (_runGate)
            {
                return _running;
            }
        }
    }

    /// <summary>Runs one or more statements and returns the number of rows the last one changed.</summary>
    public long Execute(string sql, TimeSpan? timeout = null)
    {
        using var result = Query(sql, timeout);
        return result.RowsChanged;
    }

    /// <summary>Runs one or more statements; the materialized result is the last one's.</summary>
    public DuckDbResult Query(string sql, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        var result = ResultHandle.Allocate();
        var run = BeginRun(timeout);
        int state;
        try
        {
            state = NativeMethods.duckdb_query(Handle, sql, result);
        }
        finally
        {
            run.Dispose();
        }

        return DuckDbResult.Create(result, state, this, run, ownsRun: false, "Query failed");
    }

    /// <summary>Runs a single statement and streams its result chunk by chunk, keeping memory flat.</summary>
    public DuckDbResult QueryStreaming(string sql, TimeSpan? timeout = null)
    {
        using var statement = Prepare(sql);
        return statement.ExecuteStreaming(timeout);
    }

    /// <summary>The value in the first column of the first row, or null.</summary>
    public object? ExecuteScalar(string sql)
    {
        using var result = Query(sql);
        using var chunk = result.NextChunk();
        return chunk is null || chunk.RowCount == 0 || result.ColumnCount == 0 ? null : chunk.GetVector(0).GetValue(0);
    }

    public DuckDbPreparedStatement Prepare(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        var state = NativeMethods.duckdb_prepare(Handle, sql, out var statement);
        if (state != NativeMethods.DuckDbSuccess)
        {
            var error = statement.IsInvalid ? null : NativeMethods.duckdb_prepare_error(statement);
            statement.Dispose();
            throw new DuckDbException($"Prepare failed: {error ?? "unknown error"}");
        }

        statement.KeepAlive(Handle);
        return new DuckDbPreparedStatement(statement, this);
    }

    /// <summary>
    /// Runs a SELECT and hands its rows to <paramref name="visitor"/> chunk by chunk, on DuckDB's worker threads and
    /// without copying them into a result set: the fastest way to reduce rows in C#. The timeout works as for
    /// <see cref="Query"/>; an exception from the visitor stops the query and is rethrown here.
    /// </summary>
    public void Visit(string sql, IDuckDbChunkVisitor visitor, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(visitor);
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        _database.EnsureVisitFunction(this);
        ChunkVisits.Run(this, sql, visitor, timeout);
    }

    /// <summary>
    /// Splits a script into its statements without running any. Prepare each with
    /// <see cref="DuckDbStatements.Prepare"/> just before running it, since a statement is bound against the catalog
    /// as it is then (a script may create a table and then read it).
    /// </summary>
    public DuckDbStatements ExtractStatements(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        var count = NativeMethods.duckdb_extract_statements(Handle, sql, out var extracted);
        if (count == 0)
        {
            var error = extracted.IsInvalid ? null : NativeMethods.duckdb_extract_statements_error(extracted);
            extracted.Dispose();
            throw new DuckDbException(error is null ? "The SQL holds no statement." : $"Parse failed: {error}");
        }

        extracted.KeepAlive(Handle);
        return new DuckDbStatements(extracted, this, (int)count);
    }

    /// <summary>Opens an appender on a table; it writes whole data chunks.</summary>
    public DuckDbAppender CreateAppender(string table, string? schema = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        return DuckDbAppender.Create(this, schema, table);
    }

    /// <summary>
    /// Interrupts the statement running on this connection, from any thread: it fails with DuckDB's "interrupted"
    /// error. Returns false, and does nothing, when no statement is running, so a late call cannot hit the next one.
    /// </summary>
    public bool Interrupt()
    {
        lock (_runGate)
        {
            if (!_running)
            {
                return false;
            }

            RequestStop(_runId);
            return true;
        }
    }

    /// <summary>
    /// Progress of the running query, readable from any thread. DuckDB tracks it only after
    /// <see cref="EnableProgressTracking"/>; otherwise the percentage stays -1.
    /// </summary>
    public DuckDbQueryProgress Progress
    {
        get
        {
            var p = NativeMethods.duckdb_query_progress(Handle);
            return new DuckDbQueryProgress(p.Percentage, p.RowsProcessed, p.TotalRowsToProcess);
        }
    }

    /// <summary>Turns on DuckDB's progress tracking for this connection, without its terminal progress bar.</summary>
    public void EnableProgressTracking() =>
        Execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false;");

    public void Dispose() => Handle.Dispose();

    internal RunScope BeginRun(TimeSpan? timeout)
    {
        if (timeout is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), t, "A query timeout must be positive.");
        }

        long id;
        lock (_runGate)
        {
            if (_running)
            {
                throw new InvalidOperationException("The connection is already running a statement or reading a streaming result; use one connection per thread.");
            }

            id = ++_runId;
            _running = true;
        }

        ITimer? timer = timeout is { } limit
            ? TimeProvider.System.CreateTimer(static s => ((StopState)s!).Fire(timedOut: true), new StopState(this, id), limit, Timeout.InfiniteTimeSpan)
            : null;
        return new RunScope(this, id, timer, timeout ?? TimeSpan.Zero);
    }

    internal bool TimedOut(long runId)
    {
        lock (_runGate)
        {
            return _timedOutRunId == runId;
        }
    }

    private void EndRun(long runId)
    {
        lock (_runGate)
        {
            if (_runId == runId)
            {
                _running = false;
                _retryTimer?.Dispose();
                _retryTimer = null;
            }
        }
    }

    private void Stop(long runId, bool timedOut)
    {
        lock (_runGate)
        {
            if (_running && _runId == runId)
            {
                if (timedOut)
                {
                    _timedOutRunId = runId;
                }

                RequestStop(runId);
            }
        }
    }

    // Called under _runGate. DuckDB clears a pending interrupt when a query starts, so an interrupt that lands just
    // before the query is under way would be lost; repeating it until the run ends makes every stop stick.
    private void RequestStop(long runId)
    {
        NativeMethods.duckdb_interrupt(Handle);
        _retryTimer ??= TimeProvider.System.CreateTimer(static s => ((StopState)s!).Fire(timedOut: false), new StopState(this, runId), InterruptRetry, InterruptRetry);
    }

    private sealed class StopState(DuckDbConnection connection, long runId)
    {
        public void Fire(bool timedOut) => connection.Stop(runId, timedOut);
    }

    /// <summary>The span in which a statement runs: it arms the timeout and tells Interrupt what may be stopped.</summary>
    internal readonly struct RunScope(DuckDbConnection connection, long id, ITimer? timer, TimeSpan timeout) : IDisposable
    {
        public long Id => id;

        public TimeSpan Timeout => timeout;

        public DuckDbConnection Connection => connection;

        public void Dispose()
        {
            timer?.Dispose();
            connection.EndRun(id);
        }
    }
}
