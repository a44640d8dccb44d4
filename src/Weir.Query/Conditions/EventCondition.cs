using System.Globalization;
using System.Text;
using System.Text.Json;
using Weir.Query.Stats;

namespace Weir.Query.Conditions;

/// <summary>
/// Which events a funnel step, a retention cohort or a return counts: page views whose path matches a glob pattern
/// (<c>{"page": "/blog/*"}</c>), or events of a name (<c>{"event": "Signup"}</c>), either narrowed by properties
/// (<c>"props": {"plan": "pro"}</c>, compared as text). No page and no event means any event.
/// </summary>
public sealed record EventCondition
{
    /// <summary>Any event that belongs to a session (page, screen or track, not a bot's).</summary>
    public static EventCondition Any { get; } = new();

    /// <summary>A glob over <c>path</c>: <c>*</c> any run of characters, <c>?</c> one, <c>[…]</c> a set.</summary>
    public string? PagePattern { get; init; }

    public string? EventName { get; init; }

    /// <summary>Property keys and the text their values must have.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Properties { get; init; } = [];

    /// <summary>Whether the condition is <see cref="Any"/>'s: every session event matches it.</summary>
    public bool IsAnySessionEvent => PagePattern is null && EventName is null && Properties.Count == 0;

    /// <summary>What a response calls the condition: the request's label, else the pattern or event name.</summary>
    public string Label { get; init; } = "any event";

    /// <summary>
    /// Reads <c>{"page": …}</c> or <c>{"event": …}</c>, with optional <c>props</c> and <c>label</c>; errors name
    /// <paramref name="field"/> and the part at fault.
    /// </summary>
    /// <exception cref="QueryRequestException">The value is not a condition.</exception>
    public static EventCondition Parse(JsonElement value, string field)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new QueryRequestException(field, $"{field} must be an object such as {{\"page\": \"/pricing\"}} or {{\"event\": \"Signup\", \"props\": {{\"plan\": \"pro\"}}}}");
        }

        string? page = null, name = null, label = null;
        var properties = new List<KeyValuePair<string, string>>();
        foreach (var property in value.EnumerateObject())
        {
            var path = field + "." + property.Name;
            switch (property.Name)
            {
                case "page":
                    page = NonEmptyString(property.Value, path, "a path or glob pattern such as \"/blog/*\"");
                    break;
                case "event":
                    name = NonEmptyString(property.Value, path, "an event name such as \"Signup\"");
                    break;
                case "label":
                    label = NonEmptyString(property.Value, path, "a name to show for the step");
                    break;
                case "props":
                    if (property.Value.ValueKind != JsonValueKind.Object)
                    {
                        throw new QueryRequestException(path, $"{path} must be an object of property values, e.g. {{\"plan\": \"pro\"}}");
                    }

                    foreach (var prop in property.Value.EnumerateObject())
                    {
                        if (!StatsDimension.IsPropertyKey(prop.Name))
                        {
                            throw new QueryRequestException(path, $"'{prop.Name}' is not a property key (1 to 200 printable characters, no quotes or backslashes)");
                        }

                        var text = prop.Value.ValueKind switch
                        {
                            JsonValueKind.String => prop.Value.GetString()!,
                            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => prop.Value.GetRawText(),
                            _ => throw new QueryRequestException(path + "." + prop.Name, $"the value of the property '{prop.Name}' must be a string, number or boolean"),
                        };
                        properties.Add(KeyValuePair.Create(prop.Name, text));
                    }

                    break;
                default:
                    throw new QueryRequestException(path, $"'{property.Name}' is not a field of a step (page, event, props, label)");
            }
        }

        if (page is not null && name is not null)
        {
            throw new QueryRequestException(field, $"{field} names both a page and an event; a step is one or the other");
        }

        if (page is null && name is null)
        {
            throw new QueryRequestException(field, $"{field} needs a \"page\" pattern or an \"event\" name");
        }

        return new EventCondition { PagePattern = page, EventName = name, Properties = properties, Label = label ?? page ?? name! };
    }

    /// <summary>The condition as SQL over the columns of <c>events</c>; its values are added to <paramref name="parameters"/>.</summary>
    public string ToSql(List<object?> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (IsAnySessionEvent)
        {
            return "TRUE";
        }

        var sql = new StringBuilder("(");
        if (PagePattern is not null)
        {
            parameters.Add(PagePattern);
            sql.Append("\"type\" = 'page' AND coalesce(\"path\" GLOB ").Append(Parameter(parameters)).Append(", FALSE)");
        }
        else if (EventName is not null)
        {
            parameters.Add(EventName);
            sql.Append("\"event\" = ").Append(Parameter(parameters));
        }
        else
        {
            sql.Append("TRUE");
        }

        foreach (var (key, text) in Properties)
        {
            parameters.Add("$.\"" + key + "\"");
            var path = Parameter(parameters);
            parameters.Add(text);
            sql.Append(" AND coalesce(json_extract_string(\"properties\", ").Append(path).Append(") = ").Append(Parameter(parameters)).Append(", FALSE)");
        }

        return sql.Append(')').ToString();
    }

    private static string Parameter(List<object?> parameters) => "$" + parameters.Count.ToString(CultureInfo.InvariantCulture);

    private static string NonEmptyString(JsonElement value, string field, string what) =>
        value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw new QueryRequestException(field, $"{field} must be {what}");
}
