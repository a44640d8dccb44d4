using System.Text;

namespace Weir.DuckDb;

/// <summary>
/// Quoting for the SQL that Weir builds itself (the lake's DDL and views, the query layer's reports). Values a user
/// gives are bound as parameters instead.
/// </summary>
public static class Sql
{
    /// <summary>A SQL identifier in double quotes, with embedded quotes doubled.</summary>
    public static string Identifier(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>A single-quoted string literal, with embedded quotes doubled.</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>A DuckDB list literal of strings.</summary>
    public static string List(IReadOnlyList<string> values)
    {
        var text = new StringBuilder("[");
        for (var i = 0; i < values.Count; i++)
        {
            text.Append(i == 0 ? "" : ", ").Append(Literal(values[i]));
        }

        return text.Append(']').ToString();
    }
}
