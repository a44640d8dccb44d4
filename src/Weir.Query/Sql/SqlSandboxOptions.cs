namespace Weir.Query.Sql;

/// <summary>The limits of one sandboxed query.</summary>
public sealed record SqlSandboxOptions
{
    /// <summary>After this long the query is interrupted and fails. Default 30 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Rows a materialized result keeps; the rest are not computed and the result says it was truncated. Default 10 000.
    /// </summary>
    public int MaxRows { get; init; } = 10_000;

    /// <summary>The longest SQL text accepted, in characters. Default 100 000.</summary>
    public int MaxSqlLength { get; init; } = 100_000;
}
