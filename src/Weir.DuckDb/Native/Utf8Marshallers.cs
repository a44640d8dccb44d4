using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using System.Text;

namespace Weir.DuckDb.Native;

/// <summary>A string DuckDB owns (a column name, an error inside a result): read it, never free it.</summary>
[CustomMarshaller(typeof(string), MarshalMode.ManagedToUnmanagedOut, typeof(LibraryOwnedUtf8StringMarshaller))]
internal static unsafe class LibraryOwnedUtf8StringMarshaller
{
    public static string? ConvertToManaged(byte* unmanaged) => Utf8Text.FromNullTerminated(unmanaged);
}

/// <summary>A string DuckDB hands over (an open error, a type alias): read it, then release it with duckdb_free.</summary>
[CustomMarshaller(typeof(string), MarshalMode.ManagedToUnmanagedOut, typeof(CallerFreedUtf8StringMarshaller))]
internal static unsafe class CallerFreedUtf8StringMarshaller
{
    public static string? ConvertToManaged(byte* unmanaged) => Utf8Text.FromNullTerminated(unmanaged);

    public static void Free(byte* unmanaged)
    {
        if (unmanaged is not null)
        {
            NativeMethods.duckdb_free(unmanaged);
        }
    }
}

internal static unsafe class Utf8Text
{
    public static string? FromNullTerminated(byte* text) =>
        text is null ? null : Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(text));
}
