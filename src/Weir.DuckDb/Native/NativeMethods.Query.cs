using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using Weir.DuckDb.Handles;

namespace Weir.DuckDb.Native;

// Queries and results.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int duckdb_query(ConnectionHandle connection, string query, ResultHandle result);

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_destroy_result(DuckDbResultStruct* result);

    [LibraryImport(LibraryName)]
    [return: MarshalUsing(typeof(LibraryOwnedUtf8StringMarshaller))]
    internal static partial string? duckdb_result_error(ResultHandle result);

    [LibraryImport(LibraryName)]
    internal static partial ulong duckdb_column_count(ResultHandle result);

    [LibraryImport(LibraryName)]
    [return: MarshalUsing(typeof(LibraryOwnedUtf8StringMarshaller))]
    internal static partial string? duckdb_column_name(ResultHandle result, ulong column);

    [LibraryImport(LibraryName)]
    internal static partial IntPtr duckdb_column_logical_type(ResultHandle result, ulong column);

    [LibraryImport(LibraryName)]
    internal static partial ulong duckdb_rows_changed(ResultHandle result);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_result_statement_type(DuckDbResultStruct result);

    [LibraryImport(LibraryName)]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool duckdb_result_is_streaming(DuckDbResultStruct result);

    // Takes the result struct by value; returns NULL at the end, or on an error that duckdb_result_error then reports.
    [LibraryImport(LibraryName)]
    internal static partial IntPtr duckdb_fetch_chunk(DuckDbResultStruct result);
}
