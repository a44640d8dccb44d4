using Weir.Query.Conditions;

namespace Weir.Query.Retention;

/// <summary>The length of a cohort and of each retention period.</summary>
public enum RetentionPeriod
{
    Day,
    Week,
    Month,
}

/// <summary>A parsed, validated retention query: what <see cref="RetentionRequestParser"/> makes of a request body.</summary>
public sealed record RetentionQuery
{
    public required string SiteId { get; init; }

    public required string TimeZone { get; init; }

    public required RetentionPeriod Period { get; init; }

    /// <summary>The first cohort's period: the one holding the date range's first day (in the site's zone).</summary>
    public required DateOnly FirstCohort { get; init; }

    /// <summary>The last cohort's period: the one holding the date range's last day.</summary>
    public required DateOnly LastCohort { get; init; }

    /// <summary>When the query was asked: periods that start later are not counted (null in the matrix).</summary>
    public required DateTimeOffset AsOf { get; init; }

    /// <summary>Columns of the matrix: period 0 (the cohort itself) to <c>Periods - 1</c>.</summary>
    public int Periods { get; init; } = RetentionRequestParser.DefaultPeriods;

    /// <summary>What puts a visitor in a cohort: the period of their first such event, ever.</summary>
    public EventCondition CohortEvent { get; init; } = EventCondition.Any;

    /// <summary>What counts as coming back in a later period.</summary>
    public EventCondition ReturnEvent { get; init; } = EventCondition.Any;

    /// <summary>The start of the period <paramref name="offset"/> periods after <paramref name="start"/>.</summary>
    public DateOnly PeriodAfter(DateOnly start, int offset) => Period switch
    {
        RetentionPeriod.Day => start.AddDays(offset),
        RetentionPeriod.Week => start.AddDays(7 * offset),
        _ => start.AddMonths(offset),
    };

    /// <summary>The start of the period holding <paramref name="day"/>; weeks start on Monday.</summary>
    public static DateOnly PeriodOf(DateOnly day, RetentionPeriod period) => period switch
    {
        RetentionPeriod.Day => day,
        RetentionPeriod.Week => day.AddDays(-(((int)day.DayOfWeek + 6) % 7)),
        _ => new DateOnly(day.Year, day.Month, 1),
    };
}
