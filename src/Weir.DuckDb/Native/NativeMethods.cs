namespace Weir.DuckDb.Native;

/// <summary>
/// DuckDB's C API, declared with source-generated <c>LibraryImport</c>, one partial file per section of duckdb.h.
/// Handles own native objects; everything here takes and returns raw pointers or SafeHandles.
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string LibraryName = "duckdb";

    internal const int DuckDbSuccess = 0;
}
