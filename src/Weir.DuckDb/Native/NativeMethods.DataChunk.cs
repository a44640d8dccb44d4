using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using Weir.DuckDb.Handles;

namespace Weir.DuckDb.Native;

// Data chunks, vectors and logical types. Vectors belong to their chunk and are never freed on their own.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryName)]
    internal static partial DataChunkHandle duckdb_create_data_chunk(IntPtr* types, ulong columnCount);

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_destroy_data_chunk(IntPtr* chunk);

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_data_chunk_reset(DataChunkHandle chunk);

    // Trivial getters: no locks, no allocation, no callbacks, so the GC transition is not needed.
    [LibraryImport(LibraryName)]
    [SuppressGCTransition]
    internal static partial ulong duckdb_data_chunk_get_column_count(IntPtr chunk);

    [LibraryImport(LibraryName)]
    [SuppressGCTransition]
    internal static partial ulong duckdb_data_chunk_get_size(IntPtr chunk);

    [LibraryImport(LibraryName)]
    [SuppressGCTransition]
    internal static partial void duckdb_data_chunk_set_size(IntPtr chunk, ulong size);

    [LibraryImport(LibraryName)]
    [SuppressGCTransition]
    internal static partial IntPtr duckdb_data_chunk_get_vector(IntPtr chunk, ulong column);

    [LibraryImport(LibraryName)]
    [SuppressGCTransition]
    internal static partial void* duckdb_vector_get_data(IntPtr vector);

    [LibraryImport(LibraryName)]
    [SuppressGCTransition]
    internal static partial ulong* duckdb_vector_get_validity(IntPtr vector);

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_vector_ensure_validity_writable(IntPtr vector);

    [LibraryImport(LibraryName)]
    internal static partial IntPtr duckdb_vector_get_column_type(IntPtr vector);

    [LibraryImport(LibraryName)]
    [SuppressGCTransition]
    internal static partial IntPtr duckdb_list_vector_get_child(IntPtr vector);

    [LibraryImport(LibraryName)]
    [SuppressGCTransition]
    internal static partial ulong duckdb_list_vector_get_size(IntPtr vector);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_list_vector_set_size(IntPtr vector, ulong size);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_list_vector_reserve(IntPtr vector, ulong capacity);

    [LibraryImport(LibraryName)]
    [SuppressGCTransition]
    internal static partial IntPtr duckdb_struct_vector_get_child(IntPtr vector, ulong index);

    [LibraryImport(LibraryName)]
    internal static partial ulong duckdb_vector_size();

    [LibraryImport(LibraryName)]
    internal static partial IntPtr duckdb_create_logical_type(int type);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_get_type_id(IntPtr type);

    [LibraryImport(LibraryName)]
    internal static partial IntPtr duckdb_list_type_child_type(IntPtr type);

    [LibraryImport(LibraryName)]
    internal static partial ulong duckdb_struct_type_child_count(IntPtr type);

    [LibraryImport(LibraryName)]
    [return: MarshalUsing(typeof(CallerFreedUtf8StringMarshaller))]
    internal static partial string? duckdb_struct_type_child_name(IntPtr type, ulong index);

    [LibraryImport(LibraryName)]
    internal static partial IntPtr duckdb_struct_type_child_type(IntPtr type, ulong index);

    [LibraryImport(LibraryName)]
    [return: MarshalUsing(typeof(CallerFreedUtf8StringMarshaller))]
    internal static partial string? duckdb_logical_type_get_alias(IntPtr type);

    [LibraryImport(LibraryName)]
    internal static partial void duckdb_destroy_logical_type(IntPtr* type);
}

internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryName)]
    internal static partial byte duckdb_decimal_width(IntPtr type);

    [LibraryImport(LibraryName)]
    internal static partial byte duckdb_decimal_scale(IntPtr type);

    [LibraryImport(LibraryName)]
    internal static partial int duckdb_decimal_internal_type(IntPtr type);
}
