using System.Runtime.InteropServices;

namespace Weir.DuckDb.Native;

/// <summary>duckdb_result: a value type the caller owns; DuckDB fills it and frees what it points to.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DuckDbResultStruct
{
    public ulong DeprecatedColumnCount;
    public ulong DeprecatedRowCount;
    public ulong DeprecatedRowsChanged;
    public IntPtr DeprecatedColumns;
    public IntPtr DeprecatedErrorMessage;
    public IntPtr InternalData;
}

[StructLayout(LayoutKind.Sequential)]
internal struct DuckDbQueryProgressStruct
{
    public double Percentage;
    public ulong RowsProcessed;
    public ulong TotalRowsToProcess;
}

[StructLayout(LayoutKind.Sequential)]
internal struct DuckDbUHugeInt
{
    public ulong Lower;
    public ulong Upper;
}

/// <summary>
/// duckdb_string_t, 16 bytes. Strings of up to 12 bytes are stored inline after the length;
/// longer ones keep a 4-byte prefix and a pointer to the bytes.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal unsafe struct DuckDbStringT
{
    public const int InlineLength = 12;

    [FieldOffset(0)] public uint Length;
    [FieldOffset(4)] public fixed byte Inlined[InlineLength];
    [FieldOffset(4)] public uint Prefix;
    [FieldOffset(8)] public byte* Pointer;
}

/// <summary>duckdb_list_entry: a slice of a list vector's child.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DuckDbListEntry
{
    public ulong Offset;
    public ulong Length;
}
