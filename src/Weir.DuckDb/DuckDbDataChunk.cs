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

    internal DuckDbDataChunk(DataChunkHandle handle, DuckDbColumnType[] types)
    {
        _handle = handle;
        _types = types;
        RowCount = (int)NativeMethods.duckdb_data_chunk_get_size(handle.DangerousGetHandle());
    }

    public int RowCount { get; }

    public int ColumnCount => _types.Length;

    public DuckDbVector GetVector(int column)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, _types.Length);
        var vector = NativeMethods.duckdb_data_chunk_get_vector(_handle.DangerousGetHandle(), (ulong)column);
        return new DuckDbVector(vector, _types[column], RowCount);
    }

    public void Dispose() => _handle.Dispose();
}
