using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Weir.DuckDb.Handles;
using Weir.DuckDb.Native;

namespace Weir.DuckDb;

/// <summary>
/// A prepared statement. Parameters are numbered from 1, as <c>$1</c> in SQL. Bindings stay until replaced or
/// cleared, so a statement can run many times with a few parameters changed.
/// </summary>
public sealed unsafe class DuckDbPreparedStatement : IDisposable
{
    private readonly PreparedStatementHandle _handle;
    private readonly DuckDbConnection _connection;

    internal DuckDbPreparedStatement(PreparedStatementHandle handle, DuckDbConnection connection)
    {
        _handle = handle;
        _connection = connection;
        ParameterCount = (int)NativeMethods.duckdb_nparams(handle);
        StatementType = (DuckDbStatementType)NativeMethods.duckdb_prepared_statement_type(handle);
    }

    public int ParameterCount { get; }

    /// <summary>What the statement does, known before it runs; the SQL sandbox admits only SELECTs by this.</summary>
    public DuckDbStatementType StatementType { get; }

    public DuckDbPreparedStatement Bind(int index, bool value) =>
        Check(NativeMethods.duckdb_bind_boolean(_handle, Index(index), value), index, "BOOLEAN");

    public DuckDbPreparedStatement Bind(int index, long value) =>
        Check(NativeMethods.duckdb_bind_int64(_handle, Index(index), value), index, "BIGINT");

    public DuckDbPreparedStatement Bind(int index, double value) =>
        Check(NativeMethods.duckdb_bind_double(_handle, Index(index), value), index, "DOUBLE");

    public DuckDbPreparedStatement Bind(int index, string? value)
    {
        if (value is null)
        {
            return BindNull(index);
        }

        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var rented = max <= 512 ? null : ArrayPool<byte>.Shared.Rent(max);
        try
        {
            Span<byte> buffer = rented ?? stackalloc byte[512];
            var length = Encoding.UTF8.GetBytes(value, buffer);
            fixed (byte* p = buffer)
            {
                return Check(NativeMethods.duckdb_bind_varchar_length(_handle, Index(index), p, (ulong)length), index, "VARCHAR");
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public DuckDbPreparedStatement Bind(int index, ReadOnlySpan<byte> blob)
    {
        fixed (byte* p = blob)
        {
            // A null pointer would read as "no value"; an empty blob still needs a valid address.
            byte empty = 0;
            return Check(NativeMethods.duckdb_bind_blob(_handle, Index(index), p is null ? &empty : p, (ulong)blob.Length), index, "BLOB");
        }
    }

    public DuckDbPreparedStatement Bind(int index, byte[]? blob) => blob is null ? BindNull(index) : Bind(index, blob.AsSpan());

    /// <summary>Binds a TIMESTAMPTZ (the instant, in UTC).</summary>
    public DuckDbPreparedStatement Bind(int index, DateTimeOffset value) =>
        Check(NativeMethods.duckdb_bind_timestamp_tz(_handle, Index(index), DuckDbTime.ToMicros(value)), index, "TIMESTAMPTZ");

    public DuckDbPreparedStatement Bind(int index, Guid value)
    {
        Span<byte> bytes = stackalloc byte[16];
        value.TryWriteBytes(bytes, bigEndian: true, out _);
        var uuid = new DuckDbUHugeInt
        {
            Upper = BinaryPrimitives.ReadUInt64BigEndian(bytes),
            Lower = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
        };
        using var boxed = NativeMethods.duckdb_create_uuid(uuid);
        return Check(NativeMethods.duckdb_bind_value(_handle, Index(index), boxed), index, "UUID");
    }

    public DuckDbPreparedStatement BindNull(int index) =>
        Check(NativeMethods.duckdb_bind_null(_handle, Index(index)), index, "NULL");

    /// <summary>Binds any supported value: null, bool, integers, double, string, DateTimeOffset, DateTime (as UTC), Guid, byte[].</summary>
    public DuckDbPreparedStatement Bind(int index, object? value) => value switch
    {
        null => BindNull(index),
        bool b => Bind(index, b),
        long l => Bind(index, l),
        int i => Bind(index, (long)i),
        short s => Bind(index, (long)s),
        byte b => Bind(index, (long)b),
        double d => Bind(index, d),
        float f => Bind(index, (double)f),
        string s => Bind(index, s),
        DateTimeOffset t => Bind(index, t),
        DateTime t => Bind(index, new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc))),
        Guid g => Bind(index, g),
        byte[] a => Bind(index, a),
        _ => throw new ArgumentException($"Parameter {index}: values of type {value.GetType().Name} cannot be bound.", nameof(value)),
    };

    /// <summary>The types of the columns the statement returns, known before it runs.</summary>
    public DuckDbColumnType[] ColumnTypes()
    {
        var count = (int)NativeMethods.duckdb_prepared_statement_column_count(_handle);
        var types = new DuckDbColumnType[count];
        for (var i = 0; i < count; i++)
        {
            using var type = LogicalTypeHandle.FromPointer(NativeMethods.duckdb_prepared_statement_column_logical_type(_handle, (ulong)i));
            types[i] = ColumnTypeReader.Describe(type.DangerousGetHandle());
        }

        return types;
    }

    public void ClearBindings()
    {
        if (NativeMethods.duckdb_clear_bindings(_handle) != NativeMethods.DuckDbSuccess)
        {
            throw new DuckDbException("Could not clear the statement's bindings.");
        }
    }

    /// <summary>Runs the statement and materializes its result.</summary>
    public DuckDbResult Execute(TimeSpan? timeout = null)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var result = ResultHandle.Allocate();
        var run = _connection.BeginRun(timeout);
        int state;
        try
        {
            state = NativeMethods.duckdb_execute_prepared(_handle, result);
        }
        finally
        {
            run.Dispose();
        }

        return DuckDbResult.Create(result, state, _connection, run, ownsRun: false, "Statement failed");
    }

    /// <summary>
    /// Runs the statement and streams its result: each chunk is computed as it is read, so memory stays flat.
    /// The timeout covers the reading too, until the result is disposed.
    /// </summary>
    public DuckDbResult ExecuteStreaming(TimeSpan? timeout = null)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var result = ResultHandle.Allocate();

        // A streaming result still executes the statement as it is read: the statement must outlive it, even when
        // the caller disposes the statement first.
        result.KeepAlive(_handle);
        var run = _connection.BeginRun(timeout);
        int state;
        try
        {
            state = NativeMethods.duckdb_execute_prepared_streaming(_handle, result);
        }
        catch
        {
            run.Dispose();
            result.Dispose();
            throw;
        }

        return DuckDbResult.Create(result, state, _connection, run, ownsRun: true, "Statement failed");
    }

    public long ExecuteNonQuery(TimeSpan? timeout = null)
    {
        using var result = Execute(timeout);
        return result.RowsChanged;
    }

    public void Dispose() => _handle.Dispose();

    private ulong Index(int index)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (index < 1 || index > ParameterCount)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index,
                $"Parameters are numbered from 1 and this statement has {ParameterCount}.");
        }

        return (ulong)index;
    }

    private DuckDbPreparedStatement Check(int state, int index, string type)
    {
        if (state != NativeMethods.DuckDbSuccess)
        {
            var detail = NativeMethods.duckdb_prepare_error(_handle);
            throw new DuckDbException($"Could not bind a {type} to parameter {index}{(detail is null ? "." : ": " + detail)}");
        }

        return this;
    }
}
