using Weir.DuckDb;

namespace Weir.Query.Execution;

/// <summary>A statement and the values bound to its parameters, in order (<c>$1</c>, <c>$2</c>, …).</summary>
public sealed record BoundSql(string Sql, IReadOnlyList<object?> Parameters)
{
    /// <summary>Runs the statement on <paramref name="connection"/> and reads every row (report results are small).</summary>
    /// <exception cref="QueryRequestException">DuckDB rejected the statement, e.g. an invalid regular expression in a filter, or it ran out of time.</exception>
    public List<object?[]> ReadAll(DuckDbConnection connection, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(connection);
        try
        {
            using var statement = connection.Prepare(Sql);
            for (var i = 0; i < Parameters.Count; i++)
            {
                statement.Bind(i + 1, Parameters[i]);
            }

            return ResultRows.ReadAll(statement.Execute(timeout));
        }
        catch (DuckDbException e)
        {
            throw new QueryRequestException("", e.Message);
        }
    }
}
