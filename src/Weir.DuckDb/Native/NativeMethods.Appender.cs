using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using Weir.DuckDb.Handles;

namespace Weir.DuckDb.Native;

// The appender. Weir appends whole data chunks; the per-value duckdb_append_* calls are deliberately absent.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int duckdb_appender_create(ConnectionHandle connection, string? schema, string table, out AppenderHandle appender);

    [LibraryImport(LibraryName)]
    internal static partial ulong duckdb_appender_column_count(AppenderHandle appender);

    [LibraryImport(LibraryName)]
    internal static partial IntPtr duckdb_appender_column_type(AppenderHandle appender, ulong column);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_append_data_chunk(AppenderHandle appender, DataChunkHandle chunk);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_appender_flush(AppenderHandle appender);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_appender_close(AppenderHandle appender);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_appender_destroy(IntPtr* appender);

    [LibraryImport(LibraryName)]
    internal static partial IntPtr duckdb_appender_error_data(AppenderHandle appender);

    [LibraryImport(LibraryName)]
    [return: MarshalUsing(typeof(LibraryOwnedUtf8StringMarshaller))]
    internal static partial string? duckdb_error_data_message(IntPtr error);

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_destroy_error_data(IntPtr* error);
}
