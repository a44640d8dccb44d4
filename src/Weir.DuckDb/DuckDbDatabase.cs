using Weir.DuckDb.Handles;
using Weir.DuckDb.Native;

namespace Weir.DuckDb;

/// <summary>
/// An open DuckDB database, in a file or in memory.
/// </summary>
/// <remarks>
/// Thread safety: a database is shared by the whole process and is safe to use from any thread. A connection is
/// not: each thread opens its own with <see cref="Connect"/>. The only connection members meant for other threads
/// are <see cref="DuckDbConnection.Interrupt"/> and <see cref="DuckDbConnection.Progress"/>.
/// Disposing the database while connections are open is safe; DuckDB closes it when the last one goes.
/// </remarks>
public sealed class DuckDbDatabase : IDisposable
{
    public const string InMemory = ":memory:";

    private readonly DatabaseHandle _handle;
    private readonly Lock _functionGate = new();
    private bool _visitFunctionRegistered;

    private DuckDbDatabase(DatabaseHandle handle, string path)
    {
        _handle = handle;
        Path = path;
    }

    /// <summary>The file, or <see cref="InMemory"/>.</summary>
    public string Path { get; }

    /// <summary>The version of the loaded native library, e.g. "v1.5.6".</summary>
    public static string LibraryVersion
    {
        get
        {
            DuckDbNativeLibrary.EnsureLoaded();
            return NativeMethods.duckdb_library_version();
        }
    }

    /// <summary>Opens (or creates) a database. A null path or <see cref="InMemory"/> opens one in memory.</summary>
    public static DuckDbDatabase Open(string? path = null, DuckDbConfig? config = null)
    {
        DuckDbNativeLibrary.EnsureLoaded();
        var target = string.IsNullOrEmpty(path) ? InMemory : path;

        if (NativeMethods.duckdb_create_config(out var configHandle) != NativeMethods.DuckDbSuccess)
        {
            configHandle.Dispose();
            throw new DuckDbException("Could not allocate a DuckDB configuration.");
        }

        using (configHandle)
        {
            if (config is not null)
            {
                foreach (var (name, value) in config.Settings)
                {
                    if (NativeMethods.duckdb_set_config(configHandle, name, value) != NativeMethods.DuckDbSuccess)
                    {
                        throw new DuckDbException($"Invalid DuckDB setting '{name}' = '{value}': DuckDB does not accept it.");
                    }
                }
            }

            var state = NativeMethods.duckdb_open_ext(target == InMemory ? null : target, out var handle, configHandle, out var error);
            if (state != NativeMethods.DuckDbSuccess)
            {
                handle.Dispose();
                throw new DuckDbException($"Could not open DuckDB database '{target}': {error ?? "unknown error"}");
            }

            return new DuckDbDatabase(handle, target);
        }
    }

    /// <summary>Opens a connection. Each thread uses its own.</summary>
    public DuckDbConnection Connect()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (NativeMethods.duckdb_connect(_handle, out var connection) != NativeMethods.DuckDbSuccess)
        {
            connection.Dispose();
            throw new DuckDbException($"Could not connect to DuckDB database '{Path}'.");
        }

        connection.KeepAlive(_handle);
        return new DuckDbConnection(connection, this);
    }

    internal void EnsureVisitFunction(DuckDbConnection connection)
    {
        lock (_functionGate)
        {
            if (!_visitFunctionRegistered)
            {
                ChunkVisits.EnsureRegistered(connection);
                _visitFunctionRegistered = true;
            }
        }
    }

    public void Dispose() => _handle.Dispose();
}
