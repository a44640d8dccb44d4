using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using Weir.DuckDb.Handles;

namespace Weir.DuckDb.Native;

// Opening, configuration, connections and interrupts.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int duckdb_open_ext(string? path, out DatabaseHandle database, ConfigHandle config,
        [MarshalUsing(typeof(CallerFreedUtf8StringMarshaller))] out string? error);

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_close(IntPtr* database);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_create_config(out ConfigHandle config);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int duckdb_set_config(ConfigHandle config, string name, string option);

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_destroy_config(IntPtr* config);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_connect(DatabaseHandle database, out ConnectionHandle connection);

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_disconnect(IntPtr* connection);

    // Safe to call from any thread while another thread runs a query on the connection.
    [LibraryImport(LibraryName)]
    internal static partial void duckdb_interrupt(ConnectionHandle connection);

    [LibraryImport(LibraryName)]
    internal static partial DuckDbQueryProgressStruct duckdb_query_progress(ConnectionHandle connection);

    [LibraryImport(LibraryName)]
    [return: MarshalUsing(typeof(LibraryOwnedUtf8StringMarshaller))]
    internal static partial string duckdb_library_version();

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_free(void* pointer);
}
