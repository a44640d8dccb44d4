namespace Weir.Query.Stats;

/// <summary>What a dimension groups by.</summary>
public enum DimensionKind
{
    /// <summary>A column of the event itself (<c>event:page</c>, <c>event:name</c>, <c>event:hostname</c>).</summary>
    Event,

    /// <summary>A property in the event's <c>properties</c> JSON (<c>event:props:&lt;key&gt;</c>).</summary>
    EventProperty,

    /// <summary>An attribute of the event's session (<c>visit:…</c>): its first event's, or its entry or exit page.</summary>
    Visit,

    /// <summary>A bucket of the event's time in the site's time zone (<c>time:hour|day|week|month</c>).</summary>
    Time,
}

/// <summary>One dimension of the stats API: its name as the request gives it and where its value comes from.</summary>
public sealed record StatsDimension(string Name, DimensionKind Kind, string Column)
{
    private static readonly Dictionary<string, StatsDimension> Known = Build();

    /// <summary>The dimensions a request may name, for error messages.</summary>
    public static IEnumerable<string> KnownNames => Known.Keys.Append("event:props:<key>");

    /// <summary>The <c>visit:…</c> dimensions: each reads one column of the session.</summary>
    public static IEnumerable<StatsDimension> Visits => Known.Values.Where(d => d.Kind == DimensionKind.Visit);

    /// <summary>Whether the dimension is a time bucket.</summary>
    public bool IsTime => Kind == DimensionKind.Time;

    /// <summary>Finds a dimension by its API name; null when there is none of that name.</summary>
    public static StatsDimension? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Known.TryGetValue(name, out var dimension))
        {
            return dimension;
        }

        const string Props = "event:props:";
        if (name.StartsWith(Props, StringComparison.Ordinal) && IsPropertyKey(name.AsSpan(Props.Length)))
        {
            return new StatsDimension(name, DimensionKind.EventProperty, name[Props.Length..]);
        }

        return null;
    }

    /// <summary>
    /// The JSON path of a property key. Keys are limited to printable text without quotes or backslashes, so the
    /// path needs no escaping; it is passed to DuckDB as a parameter all the same.
    /// </summary>
    public string PropertyPath => "$.\"" + Column + "\"";

    /// <summary>Whether <paramref name="key"/> may name a property: 1 to 200 printable characters, no quotes or backslashes.</summary>
    internal static bool IsPropertyKey(ReadOnlySpan<char> key)
    {
        if (key.IsEmpty || key.Length > 200)
        {
            return false;
        }

        foreach (var c in key)
        {
            if (char.IsControl(c) || c is '"' or '\\')
            {
                return false;
            }
        }

        return true;
    }

    private static Dictionary<string, StatsDimension> Build()
    {
        var dimensions = new Dictionary<string, StatsDimension>(StringComparer.Ordinal);
        void Add(string name, DimensionKind kind, string column) => dimensions.Add(name, new StatsDimension(name, kind, column));

        Add("event:page", DimensionKind.Event, "path");
        Add("event:name", DimensionKind.Event, "event");
        Add("event:hostname", DimensionKind.Event, "host");
        Add("visit:entry_page", DimensionKind.Visit, "entry_page");
        Add("visit:exit_page", DimensionKind.Visit, "exit_page");
        Add("visit:source", DimensionKind.Visit, "source");
        Add("visit:referrer", DimensionKind.Visit, "referrer");
        foreach (var utm in (ReadOnlySpan<string>)["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"])
        {
            Add("visit:" + utm, DimensionKind.Visit, utm);
        }

        Add("visit:country", DimensionKind.Visit, "country");
        Add("visit:region", DimensionKind.Visit, "region");
        Add("visit:city", DimensionKind.Visit, "city");
        Add("visit:browser", DimensionKind.Visit, "browser");
        Add("visit:browser_version", DimensionKind.Visit, "browser_version");
        Add("visit:os", DimensionKind.Visit, "os");
        Add("visit:os_version", DimensionKind.Visit, "os_version");
        Add("visit:device", DimensionKind.Visit, "device_type");
        Add("time:hour", DimensionKind.Time, "hour");
        Add("time:day", DimensionKind.Time, "day");
        Add("time:week", DimensionKind.Time, "week");
        Add("time:month", DimensionKind.Time, "month");
        return dimensions;
    }

    public override string ToString() => Name;
}
