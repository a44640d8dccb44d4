using Weir.DuckDb.Handles;
using Weir.DuckDb.Native;

namespace Weir.DuckDb;

/// <summary>The statements of a script, parsed but not prepared; from <see cref="DuckDbConnection.ExtractStatements"/>.</summary>
public sealed class DuckDbStatements : IDisposable
{
    private readonly ExtractedStatementsHandle _handle;
    private readonly DuckDbConnection _connection;

    internal DuckDbStatements(ExtractedStatementsHandle handle, DuckDbConnection connection, int count)
    {
        _handle = handle;
        _connection = connection;
        Count = count;
    }

    public int Count { get; }

    /// <summary>Prepares statement <paramref name="index"/> (from 0) against the catalog as it is now.</summary>
    public DuckDbPreparedStatement Prepare(int index)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        if (NativeMethods.duckdb_prepare_extracted_statement(_connection.Handle, _handle, (ulong)index, out var statement) != NativeMethods.DuckDbSuccess)
        {
            var error = statement.IsInvalid ? null : NativeMethods.duckdb_prepare_error(statement);
            statement.Dispose();
            throw new DuckDbException(Count == 1
                ? $"Prepare failed: {error ?? "unknown error"}"
                : $"Prepare failed (statement {index + 1} of {Count}): {error ?? "unknown error"}");
        }

        statement.KeepAlive(_connection.Handle);
        return new DuckDbPreparedStatement(statement, _connection);
    }

    public void Dispose() => _handle.Dispose();
}
