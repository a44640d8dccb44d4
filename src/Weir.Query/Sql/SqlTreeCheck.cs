using System.Text.Json;

namespace Weir.Query.Sql;

/// <summary>
/// Checks the parse tree DuckDB's <c>json_serialize_sql</c> gives for a query: it may read only the views
/// <c>events</c> and <c>sessions</c>, unqualified, and its own CTEs, and it may call no function that reaches anything
/// else (files, other queries' text, the environment).
/// </summary>
/// <remarks>
/// The check does not follow CTE scopes: a CTE name counts anywhere in the query. That is safe only because the
/// sandbox also refuses CTE names that an existing table or view has (<see cref="CteNames"/>), so an unscoped
/// reference to a CTE name can resolve to nothing the check has not allowed.
/// </remarks>
internal static class SqlTreeCheck
{
    /// <summary>The relations a query may read, besides its CTEs.</summary>
    public static readonly IReadOnlySet<string> Views = new HashSet<string>(["events", "sessions"], StringComparer.OrdinalIgnoreCase);

    // Table functions are refused whatever their name; these are the scalar functions that read outside the query
    // (getenv, files) or reveal the server's configuration (settings hold the lake's paths).
    private static readonly HashSet<string> ForbiddenFunctions = new(StringComparer.OrdinalIgnoreCase)
    {
        "getenv", "current_setting", "query", "query_table", "read_text", "read_blob", "read_csv", "read_csv_auto",
        "read_parquet", "parquet_scan", "read_json", "read_json_auto", "read_ndjson", "glob", "sniff_csv",
    };

    /// <summary>The tree of the query's statements, or a rejection with DuckDB's parse error.</summary>
    public static JsonElement Statement(string serialized)
    {
        using var document = JsonDocument.Parse(serialized);
        var root = document.RootElement;
        if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.True)
        {
            var message = root.TryGetProperty("error_message", out var m) ? m.GetString() : null;
            throw new SqlRejectedException(message is { Length: > 0 }
                ? $"only one SELECT query is allowed: {message}"
                : "only one SELECT query is allowed");
        }

        var statements = root.GetProperty("statements");
        if (statements.GetArrayLength() != 1)
        {
            throw new SqlRejectedException($"exactly one statement is allowed, not {statements.GetArrayLength()}");
        }

        return statements[0].Clone();
    }

    /// <summary>Every CTE name the tree defines, at any depth.</summary>
    public static HashSet<string> CteNames(JsonElement tree)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        CollectCtes(tree, names);
        return names;
    }

    /// <summary>Throws <see cref="SqlRejectedException"/> at the first relation or function the query may not use.</summary>
    public static void Check(JsonElement tree, IReadOnlySet<string> cteNames)
    {
        switch (tree.ValueKind)
        {
            case JsonValueKind.Object:
                CheckNode(tree, cteNames);
                foreach (var property in tree.EnumerateObject())
                {
                    Check(property.Value, cteNames);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in tree.EnumerateArray())
                {
                    Check(item, cteNames);
                }

                break;
        }
    }

    private static void CheckNode(JsonElement node, IReadOnlySet<string> cteNames)
    {
        var type = node.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        switch (type)
        {
            case "BASE_TABLE":
                var catalog = Text(node, "catalog_name");
                var schema = Text(node, "schema_name");
                var table = Text(node, "table_name");
                if (catalog.Length > 0 || schema.Length > 0)
                {
                    throw new SqlRejectedException($"qualified names such as {string.Join('.', new[] { catalog, schema, table }.Where(p => p.Length > 0))} are not allowed: read events, sessions or a CTE");
                }

                if (!Views.Contains(table) && !cteNames.Contains(table))
                {
                    throw new SqlRejectedException($"{table} cannot be read: a query reads only the views events and sessions and its own CTEs");
                }

                break;
            case "TABLE_FUNCTION":
                throw new SqlRejectedException("table functions (such as read_csv, read_parquet, glob or query) are not allowed: read events, sessions or a CTE");
            case "SHOW_REF":
                throw new SqlRejectedException("DESCRIBE, SHOW and SUMMARIZE are not allowed");
            case "FUNCTION":
                var name = Text(node, "function_name");
                if (ForbiddenFunctions.Contains(name))
                {
                    throw new SqlRejectedException($"the function {name} is not allowed");
                }

                break;
        }
    }

    private static void CollectCtes(JsonElement tree, HashSet<string> names)
    {
        switch (tree.ValueKind)
        {
            case JsonValueKind.Object:
                if (tree.TryGetProperty("cte_map", out var cteMap) && cteMap.ValueKind == JsonValueKind.Object
                    && cteMap.TryGetProperty("map", out var map) && map.ValueKind == JsonValueKind.Array)
                {
                    foreach (var entry in map.EnumerateArray())
                    {
                        if (entry.TryGetProperty("key", out var key) && key.ValueKind == JsonValueKind.String)
                        {
                            names.Add(key.GetString()!);
                        }
                    }
                }

                foreach (var property in tree.EnumerateObject())
                {
                    CollectCtes(property.Value, names);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in tree.EnumerateArray())
                {
                    CollectCtes(item, names);
                }

                break;
        }
    }

    private static string Text(JsonElement node, string property) =>
        node.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
