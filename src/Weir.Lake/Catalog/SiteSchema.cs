using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace Weir.Lake.Catalog;

/// <summary>
/// The event names and top-level property keys a site has sent, with how often and when: properties are free-form
/// JSON, so this is the only place the dashboard and the SQL editor can learn what to offer. Bounded per site
/// (<see cref="SchemaAccumulator.MaxEventNamesPerSite"/>, <see cref="SchemaAccumulator.MaxPropertyKeysPerSite"/>) so
/// a site that puts ids into key names cannot grow the catalog without limit; what did not fit is counted in
/// <see cref="OverflowEvents"/> and <see cref="OverflowKeys"/>.
/// </summary>
public sealed record SiteSchema
{
    public static SiteSchema Empty { get; } = new();

    // A catalog file may leave out a site's empty maps; the serializer passes null for them.
    public IReadOnlyDictionary<string, EventStats> Events { get; init => field = value is null ? CatalogMap<EventStats>.Empty : ReadOnly.Map(value, nameof(Events)); } = CatalogMap<EventStats>.Empty;

    public IReadOnlyDictionary<string, PropertyStats> Properties { get; init => field = value is null ? CatalogMap<PropertyStats>.Empty : ReadOnly.Map(value, nameof(Properties)); } = CatalogMap<PropertyStats>.Empty;

    /// <summary>Events whose name was not recorded because the site already had the maximum number of names.</summary>
    public long OverflowEvents { get; init; }

    /// <summary>Property occurrences whose key was not recorded because the site already had the maximum number of keys.</summary>
    public long OverflowKeys { get; init; }
}

/// <summary>How often an event name has been seen, and over which span of event time.</summary>
public sealed record EventStats
{
    public required long Count { get; init; }

    public required DateTimeOffset FirstSeen { get; init => field = value.ToUniversalTime(); }

    public required DateTimeOffset LastSeen { get; init => field = value.ToUniversalTime(); }
}

/// <summary>
/// A top-level property key with the JSON types its values had (<see cref="JsonTypeNames"/>). Senders are not
/// consistent (a price as a number here and a string there); more than one type is recorded as a conflict for the
/// user to see, never rejected, because the raw JSON is kept in the lake either way.
/// </summary>
public sealed record PropertyStats
{
    public required long Count { get; init; }

    public required DateTimeOffset FirstSeen { get; init => field = value.ToUniversalTime(); }

    public required DateTimeOffset LastSeen { get; init => field = value.ToUniversalTime(); }

    /// <summary>JSON type name → how many values had it; the counts add up to <see cref="Count"/>.</summary>
    public required IReadOnlyDictionary<string, long> Types { get; init => field = ReadOnly.Map(value, nameof(Types)); }

    [JsonIgnore]
    public bool HasTypeConflict => Types.Count > 1;
}

/// <summary>The names <see cref="PropertyStats.Types"/> uses, as JSON Schema spells the types (integers are numbers).</summary>
[SuppressMessage("Naming", "CA1720", Justification = "The members are JSON's type names.")]
public static class JsonTypeNames
{
    public const string String = "string";
    public const string Number = "number";
    public const string Boolean = "boolean";
    public const string Object = "object";
    public const string Array = "array";
    public const string Null = "null";
}
