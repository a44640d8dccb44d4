using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using Weir.DuckDb.Handles;

namespace Weir.DuckDb.Native;

// Prepared statements and parameter binding.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int duckdb_prepare(ConnectionHandle connection, string query, out PreparedStatementHandle statement);

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_destroy_prepare(IntPtr* statement);

    [LibraryImport(LibraryName)]
    [return: MarshalUsing(typeof(LibraryOwnedUtf8StringMarshaller))]
    internal static partial string? duckdb_prepare_error(PreparedStatementHandle statement);

    [LibraryImport(LibraryName)]
    internal static partial ulong duckdb_nparams(PreparedStatementHandle statement);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_param_type(PreparedStatementHandle statement, ulong index);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_prepared_statement_type(PreparedStatementHandle statement);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_clear_bindings(PreparedStatementHandle statement);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_bind_boolean(PreparedStatementHandle statement, ulong index, [MarshalAs(UnmanagedType.U1)] bool value);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_bind_int64(PreparedStatementHandle statement, ulong index, long value);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_bind_double(PreparedStatementHandle statement, ulong index, double value);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_bind_varchar_length(PreparedStatementHandle statement, ulong index, byte* value, ulong length);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_bind_blob(PreparedStatementHandle statement, ulong index, byte* value, ulong length);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_bind_timestamp_tz(PreparedStatementHandle statement, ulong index, long micros);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_bind_value(PreparedStatementHandle statement, ulong index, ValueHandle value);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_bind_null(PreparedStatementHandle statement, ulong index);

    [LibraryImport(LibraryName)]
    internal static partial ValueHandle duckdb_create_uuid(DuckDbUHugeInt value);

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_destroy_value(IntPtr* value);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_execute_prepared(PreparedStatementHandle statement, ResultHandle result);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_execute_prepared_streaming(PreparedStatementHandle statement, ResultHandle result);
}

// Splitting a script into statements.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial ulong duckdb_extract_statements(ConnectionHandle connection, string query, out ExtractedStatementsHandle statements);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_prepare_extracted_statement(ConnectionHandle connection, ExtractedStatementsHandle statements,
        ulong index, out PreparedStatementHandle statement);

    [LibraryImport(LibraryName)]
    [return: MarshalUsing(typeof(LibraryOwnedUtf8StringMarshaller))]
    internal static partial string? duckdb_extract_statements_error(ExtractedStatementsHandle statements);

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_destroy_extracted(IntPtr* statements);
}
