using Weir.DuckDb.Handles;
using Weir.DuckDb.Native;

namespace Weir.DuckDb;

/// <summary>
/// A query result, read chunk by chunk with <see cref="NextChunk"/>. A streaming result pulls each chunk from the
/// running query, so memory stays flat however many rows there are.
/// </summary>
public sealed class DuckDbResult : IDisposable
{
    private readonly ResultHandle _handle;
    private readonly DuckDbColumnType[] _types;
    private readonly string[] _names;
    private DuckDbConnection.RunScope? _run;
    private bool _finished;

    private DuckDbResult(ResultHandle handle, DuckDbConnection.RunScope? run)
    {
        _handle = handle;
        _run = run;
        var count = (int)NativeMethods.duckdb_column_count(handle);
        _types = new DuckDbColumnType[count];
        _names = new string[count];
        for (var i = 0; i < count; i++)
        {
            _names[i] = NativeMethods.duckdb_column_name(handle, (ulong)i) ?? string.Empty;
            using var type = LogicalTypeHandle.FromPointer(NativeMethods.duckdb_column_logical_type(handle, (ulong)i));
            _types[i] = ColumnTypeReader.Describe(type.DangerousGetHandle());
        }

        RowsChanged = (long)NativeMethods.duckdb_rows_changed(handle);
        IsStreaming = NativeMethods.duckdb_result_is_streaming(handle.Value);
        StatementType = (DuckDbStatementType)NativeMethods.duckdb_result_statement_type(handle.Value);
    }

    internal static DuckDbResult Create(ResultHandle handle, int state, DuckDbConnection connection,
        DuckDbConnection.RunScope run, bool ownsRun, string what)
    {
        if (state != NativeMethods.DuckDbSuccess)
        {
            var error = NativeMethods.duckdb_result_error(handle) ?? "unknown error";
            handle.Dispose();
            if (ownsRun)
            {
                run.Dispose();
            }

            throw Failure(connection, run, what, error);
        }

        return new DuckDbResult(handle, ownsRun ? run : null);
    }

    public int ColumnCount => _types.Length;

    public IReadOnlyList<string> ColumnNames => _names;

    public IReadOnlyList<DuckDbColumnType> ColumnTypes => _types;

    public string GetColumnName(int column) => _names[column];

    public DuckDbColumnType GetColumnType(int column) => _types[column];

    /// <summary>Rows an INSERT, UPDATE or DELETE changed.</summary>
    public long RowsChanged { get; }

    public bool IsStreaming { get; }

    public DuckDbStatementType StatementType { get; }

    /// <summary>The next chunk of rows, or null after the last. Dispose each chunk before or after the next call.</summary>
    public DuckDbDataChunk? NextChunk()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (_finished)
        {
            return null;
        }

        // DuckDB may hand out an empty chunk before the end; callers never see one.
        while (true)
        {
            var added = false;
            IntPtr pointer;
            _handle.DangerousAddRef(ref added);
            try
            {
                pointer = NativeMethods.duckdb_fetch_chunk(_handle.Value);
            }
            finally
            {
                _handle.DangerousRelease();
            }

            if (pointer == IntPtr.Zero)
            {
                _finished = true;
                var error = NativeMethods.duckdb_result_error(_handle);
                var run = _run;
                EndRun();
                if (error is not null && run is { } r)
                {
                    throw Failure(r.Connection, r, "Reading the result failed", error);
                }

                return error is null ? null : throw new DuckDbException($"Reading the result failed: {error}");
            }

            var result = new DuckDbDataChunk(DataChunkHandle.FromPointer(pointer), _types);
            if (result.RowCount > 0)
            {
                return result;
            }

            result.Dispose();
        }
    }

    public void Dispose()
    {
        EndRun();
        _handle.Dispose();
    }

    private void EndRun()
    {
        _run?.Dispose();
        _run = null;
    }

    private static DuckDbException Failure(DuckDbConnection connection, DuckDbConnection.RunScope run, string what, string error) =>
        connection.TimedOut(run.Id)
            ? new DuckDbTimeoutException($"{what}: the query ran longer than its limit of {run.Timeout.TotalSeconds:0.###} s and was interrupted ({error})", run.Timeout)
            : new DuckDbException($"{what}: {error}");
}

internal static class ColumnTypeReader
{
    internal static DuckDbColumnType Describe(IntPtr logicalType)
    {
        var id = (DuckDbType)NativeMethods.duckdb_get_type_id(logicalType);
        var alias = NativeMethods.duckdb_logical_type_get_alias(logicalType);
        var child = DuckDbType.Invalid;
        byte width = 0, scale = 0;
        var decimalStorage = DuckDbType.Invalid;
        if (id == DuckDbType.List)
        {
            using var childType = LogicalTypeHandle.FromPointer(NativeMethods.duckdb_list_type_child_type(logicalType));
            child = (DuckDbType)NativeMethods.duckdb_get_type_id(childType.DangerousGetHandle());
        }
        else if (id == DuckDbType.Decimal)
        {
            width = NativeMethods.duckdb_decimal_width(logicalType);
            scale = NativeMethods.duckdb_decimal_scale(logicalType);
            decimalStorage = (DuckDbType)NativeMethods.duckdb_decimal_internal_type(logicalType);
        }

        var fields = id == DuckDbType.Struct ? DescribeFields(logicalType) : null;
        return new DuckDbColumnType(id, child, alias) { DecimalWidth = width, DecimalScale = scale, DecimalStorage = decimalStorage, StructFields = fields };
    }

    private static DuckDbStructField[] DescribeFields(IntPtr logicalType)
    {
        var fields = new DuckDbStructField[(int)NativeMethods.duckdb_struct_type_child_count(logicalType)];
        for (var i = 0; i < fields.Length; i++)
        {
            using var childType = LogicalTypeHandle.FromPointer(NativeMethods.duckdb_struct_type_child_type(logicalType, (ulong)i));
            fields[i] = new DuckDbStructField(NativeMethods.duckdb_struct_type_child_name(logicalType, (ulong)i) ?? "", Describe(childType.DangerousGetHandle()));
        }

        return fields;
    }
}
