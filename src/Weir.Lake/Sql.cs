using System.Text;

namespace Weir.Lake;

/// <summary>SQL text for identifiers and literals the lake builds itself.</summary>
internal static class Sql
{
    /// <summary>A SQL identifier in double quotes, with embedded quotes doubled.</summary>
    public static string Identifier(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

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
