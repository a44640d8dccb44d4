using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Weir.DuckDb.Handles;
using Weir.DuckDb.Native;

namespace Weir.DuckDb;

/// <summary>
/// Receives the rows of <see cref="DuckDbConnection.Visit"/> chunk by chunk, on DuckDB's own worker threads.
/// </summary>
/// <remarks>
/// <see cref="Visit"/> is called concurrently from several threads, so an implementation keeps per-call state
/// local and merges it under its own lock. The chunk is valid only during the call; an exception thrown from
/// <see cref="Visit"/> stops the query and is rethrown by <see cref="DuckDbConnection.Visit"/>.
/// </remarks>
public interface IDuckDbChunkVisitor
{
    void Visit(DuckDbDataChunk chunk);
}

/// <summary>
/// Runs a query's rows through a C# callback inside DuckDB's pipeline. A result set copies every chunk, strings
/// included, before the caller sees it; here the visitor reads the scan's own vectors, on every worker thread.
/// </summary>
internal static unsafe class ChunkVisits
{
    internal const string FunctionName = "weir_visit";

    private static readonly ConcurrentDictionary<long, Visit> Active = new();
    private static long _nextId;

    /// <summary>Registers weir_visit(id BIGINT, columns ANY...) once per database.</summary>
    internal static void EnsureRegistered(DuckDbConnection connection)
    {
        using var function = NativeMethods.duckdb_create_scalar_function();
        NativeMethods.duckdb_scalar_function_set_name(function, FunctionName);
        using var bigint = LogicalTypeHandle.FromPointer(NativeMethods.duckdb_create_logical_type((int)DuckDbType.BigInt));
        using var any = LogicalTypeHandle.FromPointer(NativeMethods.duckdb_create_logical_type((int)DuckDbType.Any));
        using var boolean = LogicalTypeHandle.FromPointer(NativeMethods.duckdb_create_logical_type((int)DuckDbType.Boolean));
        NativeMethods.duckdb_scalar_function_add_parameter(function, bigint.DangerousGetHandle());
        NativeMethods.duckdb_scalar_function_set_varargs(function, any.DangerousGetHandle());
        NativeMethods.duckdb_scalar_function_set_return_type(function, boolean.DangerousGetHandle());
        NativeMethods.duckdb_scalar_function_set_volatile(function);
        NativeMethods.duckdb_scalar_function_set_special_handling(function);
        NativeMethods.duckdb_scalar_function_set_function(function, &Callback);
        if (NativeMethods.duckdb_register_scalar_function(connection.Handle, function) != NativeMethods.DuckDbSuccess)
        {
            throw new DuckDbException($"Could not register the {FunctionName} function.");
        }
    }

    internal static void Run(DuckDbConnection connection, string sql, IDuckDbChunkVisitor visitor, TimeSpan? timeout)
    {
        DuckDbColumnType[] types;
        using (var statement = connection.Prepare(sql))
        {
            if (statement.StatementType != DuckDbStatementType.Select)
            {
                throw new ArgumentException($"Only a SELECT can be visited; this is a {statement.StatementType} statement.", nameof(sql));
            }

            types = statement.ColumnTypes();
        }

        var id = Interlocked.Increment(ref _nextId);
        var visit = new Visit(visitor, types);
        Active[id] = visit;
        try
        {
            // bool_and keeps DuckDB from dropping the call; the columns are unpacked as the function's arguments.
            using var result = connection.Query(
                $"SELECT bool_and({FunctionName}({id}::BIGINT, *COLUMNS(*))) FROM ({sql}) AS visited", timeout);
        }
        catch (DuckDbException ex) when (visit.Failure is { } failure)
        {
            throw new DuckDbException($"The chunk visitor failed: {failure.Message}", new AggregateException(failure, ex));
        }
        finally
        {
            Active.TryRemove(id, out _);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Callback(IntPtr info, IntPtr input, IntPtr output)
    {
        Visit? visit = null;
        try
        {
            var rows = (int)NativeMethods.duckdb_data_chunk_get_size(input);
            var ids = NativeMethods.duckdb_data_chunk_get_vector(input, 0);
            var id = *(long*)NativeMethods.duckdb_vector_get_data(ids);
            if (!Active.TryGetValue(id, out visit))
            {
                throw new InvalidOperationException($"{FunctionName} was called for visit {id}, which is not running.");
            }

            using (var chunk = new DuckDbDataChunk(DataChunkHandle.Borrow(input), visit.Types, rows, firstColumn: 1))
            {
                visit.Visitor.Visit(chunk);
            }

            new Span<bool>(NativeMethods.duckdb_vector_get_data(output), rows).Fill(true);
        }
        catch (Exception ex)
        {
            // Nothing may cross back into native code: record the exception and let DuckDB fail the query.
            if (visit is not null)
            {
                visit.Failure ??= ex;
            }

            NativeMethods.duckdb_scalar_function_set_error(info, ex.Message);
        }
    }

    private sealed class Visit(IDuckDbChunkVisitor visitor, DuckDbColumnType[] types)
    {
        public IDuckDbChunkVisitor Visitor => visitor;

        public DuckDbColumnType[] Types => types;

        public Exception? Failure { get; set; }
    }
}
