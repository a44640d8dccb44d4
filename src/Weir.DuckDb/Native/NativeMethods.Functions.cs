using System.Runtime.InteropServices;
using Weir.DuckDb.Handles;

namespace Weir.DuckDb.Native;

// Scalar functions implemented in C#, and the column types of a prepared statement.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryName)]
    internal static partial ScalarFunctionHandle duckdb_create_scalar_function();

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_destroy_scalar_function(IntPtr* function);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void duckdb_scalar_function_set_name(ScalarFunctionHandle function, string name);

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_scalar_function_add_parameter(ScalarFunctionHandle function, IntPtr type);

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_scalar_function_set_varargs(ScalarFunctionHandle function, IntPtr type);

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_scalar_function_set_return_type(ScalarFunctionHandle function, IntPtr type);

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_scalar_function_set_volatile(ScalarFunctionHandle function);

    // NULLs reach the callback as they are, instead of DuckDB deciding for it.
    [LibraryImport(LibraryName)]
    internal static partial void duckdb_scalar_function_set_special_handling(ScalarFunctionHandle function);

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_scalar_function_set_function(ScalarFunctionHandle function,
        delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, void> callback);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_register_scalar_function(ConnectionHandle connection, ScalarFunctionHandle function);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void duckdb_scalar_function_set_error(IntPtr info, string error);

    [LibraryImport(LibraryName)]
    internal static partial ulong duckdb_prepared_statement_column_count(PreparedStatementHandle statement);

    [LibraryImport(LibraryName)]
    internal static partial IntPtr duckdb_prepared_statement_column_logical_type(PreparedStatementHandle statement, ulong column);
}
