using System.Text;

namespace Weir.Query.Execution;

/// <summary>Quoting for the SQL the query layer writes. Values a user gives are bound as parameters instead.</summary>
public static class SqlText
{
    /// <summary>A double-quoted identifier.</summary>
    public static string Identifier(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>A single-quoted string literal.</summary>
    public static string Literal(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new StringBuilder("'").Append(value.Replace("'", "''", StringComparison.Ordinal)).Append('\'').ToString();
    }
}
