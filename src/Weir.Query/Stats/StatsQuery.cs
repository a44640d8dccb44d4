namespace Weir.Query.Stats;

/// <summary>The metrics of <c>POST /api/v1/stats</c>, as Plausible's Stats API v2 names them.</summary>
public enum StatsMetric
{
    Visitors,
    Visits,
    Pageviews,
    ViewsPerVisit,
    BounceRate,
    VisitDuration,
    Events,
    ConversionRate,
}

/// <summary>How a filter compares a dimension with its values.</summary>
public enum FilterOperator
{
    Is,
    IsNot,
    Contains,
    ContainsNot,
    Matches,
    MatchesNot,
}

/// <summary>A filter tree: a comparison, or <c>and</c>/<c>or</c> of filters, or <c>not</c> of one.</summary>
public abstract record StatsFilter
{
    /// <summary>Whether the filter names a goal: a positive comparison on <c>event:name</c>, what <c>conversion_rate</c> counts.</summary>
    public bool IsGoal => this is ComparisonFilter { Dimension.Name: "event:name", Operator: FilterOperator.Is or FilterOperator.Contains or FilterOperator.Matches };
}

/// <summary><c>[operator, dimension, [values]]</c>: true when the dimension compares true with any of the values.</summary>
public sealed record ComparisonFilter(FilterOperator Operator, StatsDimension Dimension, IReadOnlyList<string> Values) : StatsFilter;

/// <summary><c>["and", [filters]]</c> or <c>["or", [filters]]</c>.</summary>
public sealed record LogicalFilter(bool IsAnd, IReadOnlyList<StatsFilter> Filters) : StatsFilter
{
    /// <summary>All of <paramref name="filters"/>: null for none, the filter itself for one, their <c>and</c> otherwise.</summary>
    public static StatsFilter? AllOf(IReadOnlyList<StatsFilter> filters) => filters.Count switch
    {
        0 => null,
        1 => filters[0],
        _ => new LogicalFilter(IsAnd: true, filters),
    };
}

/// <summary><c>["not", filter]</c>.</summary>
public sealed record NotFilter(StatsFilter Filter) : StatsFilter;

/// <summary>A sort key: a metric or one of the query's dimensions.</summary>
public sealed record StatsOrder(StatsMetric? Metric, StatsDimension? Dimension, bool Descending);

/// <summary>
/// A half-open range of instants, <c>[From, To)</c>, with the local dates it was asked as; <see cref="From"/> is null
/// for <c>all</c>.
/// </summary>
public sealed record StatsDateRange(DateTimeOffset? From, DateTimeOffset To, DateOnly? FirstDay, DateOnly LastDay);

/// <summary>A parsed, validated stats query: what <see cref="StatsRequestParser"/> makes of the request body.</summary>
public sealed record StatsQuery
{
    public required string SiteId { get; init; }

    /// <summary>The site's IANA time zone: date ranges and time dimensions are in it.</summary>
    public required string TimeZone { get; init; }

    public required IReadOnlyList<StatsMetric> Metrics { get; init; }

    public required StatsDateRange DateRange { get; init; }

    public IReadOnlyList<StatsDimension> Dimensions { get; init; } = [];

    public StatsFilter? Filter { get; init; }

    public IReadOnlyList<StatsOrder> OrderBy { get; init; } = [];

    /// <summary>Also compute each row for the same span just before the range.</summary>
    public bool CompareWithPreviousPeriod { get; init; }

    public int Limit { get; init; } = StatsRequestParser.DefaultLimit;

    public int Offset { get; init; }
}
