using Weir.DuckDb.Handles;
using Weir.DuckDb.Native;

namespace Weir.DuckDb;

/// <summary>
/// A chunk of result rows (usually 2048), one vector per column. Vectors and the spans they hand out point into
/// the chunk's native memory and are valid until the chunk is disposed.
/// </summary>
public sealed class DuckDbDataChunk : IDisposable
{
    private readonly DataChunkHandle _handle;
    private readonly DuckDbColumnType[] _types;
    private readonly int _firstColumn;

    internal DuckDbDataChunk(DataChunkHandle handle, DuckDbColumnType[] types)
        : this(handle, types, (int)NativeMethods.duckdb_data_chunk_get_size(handle.DangerousGetHandle()), firstColumn: 0)
    {
    }

    // Native columns before firstColumn are hidden: a visit passes its own id as the first argument.
    internal DuckDbDataChunk(DataChunkHandle handle, DuckDbColumnType[] types, int rowCount, int firstColumn)
    {
        _handle = handle;
        _types = types;
        _firstColumn = firstColumn;
        RowCount = rowCount;
    }

    public int RowCount { get; }

    public int ColumnCount => _types.Length;

    public DuckDbVector GetVector(int column)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, _types.Length);
        var vector = NativeMethods.duckdb_data_chunk_get_vector(_handle.DangerousGetHandle(), (ulong)(column + _firstColumn));
        return new DuckDbVector(vector, _types[column], RowCount);
    }

    public void Dispose() => _handle.Dispose();
}
