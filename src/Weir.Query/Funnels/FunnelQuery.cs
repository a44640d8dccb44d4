using Weir.Query.Conditions;
using Weir.Query.Stats;

namespace Weir.Query.Funnels;

/// <summary>A parsed, validated funnel: what <see cref="FunnelRequestParser"/> makes of a request body.</summary>
public sealed record FunnelQuery
{
    public const int MinSteps = 2;
    public const int MaxSteps = 8;

    public required string SiteId { get; init; }

    public required string TimeZone { get; init; }

    /// <summary>Every step must happen in this range.</summary>
    public required StatsDateRange DateRange { get; init; }

    /// <summary>2 to 8 steps, in order.</summary>
    public required IReadOnlyList<EventCondition> Steps { get; init; }

    /// <summary>How long after the first step the last may come.</summary>
    public TimeSpan Window { get; init; } = FunnelRequestParser.DefaultWindow;

    /// <summary>Strict: each step is the visitor's very next event after the previous one. Loose: other events may come between.</summary>
    public bool StrictOrder { get; init; }

    /// <summary>Counts per value of this dimension too, the value being the first step's (its session's for visit dimensions).</summary>
    public StatsDimension? Breakdown { get; init; }

    /// <summary>How many breakdown values to answer, those with the most visitors at the first step first.</summary>
    public int BreakdownLimit { get; init; } = FunnelRequestParser.DefaultBreakdownLimit;
}
