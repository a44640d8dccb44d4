namespace Weir.Query.Sql;

/// <summary>A result column: its name and DuckDB's SQL name of its type, such as <c>BIGINT</c>.</summary>
public sealed record SqlColumn(string Name, string Type);

/// <summary>
/// A sandboxed query's result: its columns, at most <see cref="SqlSandboxOptions.MaxRows"/> rows of boxed values, and
/// whether more rows were left out.
/// </summary>
public sealed record SqlResult(IReadOnlyList<SqlColumn> Columns, IReadOnlyList<object?[]> Rows, bool Truncated, TimeSpan Elapsed);
