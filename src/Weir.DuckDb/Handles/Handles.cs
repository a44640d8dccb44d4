using System.Runtime.InteropServices;
using Weir.DuckDb.Native;

namespace Weir.DuckDb.Handles;

// One SafeHandle type per kind of native object. The destroy functions take a pointer to the handle and null it.

internal sealed unsafe class ConfigHandle : DuckDbSafeHandle
{
    protected override void Free(IntPtr pointer) => NativeMethods.duckdb_destroy_config(&pointer);
}

internal sealed unsafe class DatabaseHandle : DuckDbSafeHandle
{
    protected override void Free(IntPtr pointer) => NativeMethods.duckdb_close(&pointer);
}

internal sealed unsafe class ConnectionHandle : DuckDbSafeHandle
{
    protected override void Free(IntPtr pointer) => NativeMethods.duckdb_disconnect(&pointer);
}

internal sealed unsafe class PreparedStatementHandle : DuckDbSafeHandle
{
    protected override void Free(IntPtr pointer) => NativeMethods.duckdb_destroy_prepare(&pointer);
}

internal sealed unsafe class DataChunkHandle : DuckDbSafeHandle
{
    public DataChunkHandle()
    {
    }

    private DataChunkHandle(bool ownsHandle) : base(ownsHandle)
    {
    }

    protected override void Free(IntPtr pointer) => NativeMethods.duckdb_destroy_data_chunk(&pointer);

    internal static DataChunkHandle FromPointer(IntPtr pointer)
    {
        var chunk = new DataChunkHandle();
        chunk.SetHandle(pointer);
        return chunk;
    }

    /// <summary>A chunk DuckDB lends to a callback: closing the handle only stops further use, DuckDB frees it.</summary>
    internal static DataChunkHandle Borrow(IntPtr pointer)
    {
        var chunk = new DataChunkHandle(ownsHandle: false);
        chunk.SetHandle(pointer);
        return chunk;
    }
}

internal sealed unsafe class ExtractedStatementsHandle : DuckDbSafeHandle
{
    protected override void Free(IntPtr pointer) => NativeMethods.duckdb_destroy_extracted(&pointer);
}

internal sealed unsafe class ScalarFunctionHandle : DuckDbSafeHandle
{
    protected override void Free(IntPtr pointer) => NativeMethods.duckdb_destroy_scalar_function(&pointer);
}

internal sealed unsafe class AppenderHandle : DuckDbSafeHandle
{
    // duckdb_appender_destroy also flushes. A failure there has nowhere to go from a finalizer or Dispose, so
    // DuckDbAppender.Close flushes and reports errors before the handle is released.
    protected override void Free(IntPtr pointer) => _ = NativeMethods.duckdb_appender_destroy(&pointer);
}

internal sealed unsafe class ValueHandle : DuckDbSafeHandle
{
    protected override void Free(IntPtr pointer) => NativeMethods.duckdb_destroy_value(&pointer);
}

internal sealed unsafe class LogicalTypeHandle : DuckDbSafeHandle
{
    protected override void Free(IntPtr pointer) => NativeMethods.duckdb_destroy_logical_type(&pointer);

    internal static LogicalTypeHandle FromPointer(IntPtr pointer)
    {
        var type = new LogicalTypeHandle();
        type.SetHandle(pointer);
        return type;
    }
}

/// <summary>
/// duckdb_result is a struct the caller owns, so this handle points at native memory Weir allocates;
/// releasing it destroys the result's contents and then frees the struct.
/// </summary>
internal sealed unsafe class ResultHandle : DuckDbSafeHandle
{
    internal static ResultHandle Allocate()
    {
        var result = new ResultHandle();
        result.SetHandle((IntPtr)NativeMemory.AllocZeroed((nuint)sizeof(DuckDbResultStruct)));
        return result;
    }

    /// <summary>The struct by value, for the functions that take it so. The caller keeps the handle alive.</summary>
    internal DuckDbResultStruct Value => *(DuckDbResultStruct*)handle;

    protected override void Free(IntPtr pointer)
    {
        NativeMethods.duckdb_destroy_result((DuckDbResultStruct*)pointer);
        NativeMemory.Free((void*)pointer);
    }
}
