using System.Globalization;
using System.Text;
using Weir.Query.Execution;
using Weir.Query.Sessions;

namespace Weir.Query.Stats;

/// <summary>
/// Writes the SQL of a stats query (see docs/query.md "Stats"). Every event of the range carries its session's
/// attributes; each group first sums per session, so that session metrics (visits, bounce rate, duration) count a
/// session once per group, then per group. Filter values are parameters, never SQL text.
/// </summary>
/// <remarks>
/// Sessions end at the site's midnight and ranges are whole local days, so the range's events alone make its sessions
/// whole: only they are read and sessionised. With <c>conversion_rate</c>, the goal filters (on <c>event:name</c>) mark which sessions
/// converted instead of removing the others, because the rate's denominator is every visitor of the group.
/// </remarks>
public static class StatsSql
{
    /// <summary>The metric's name in requests and responses.</summary>
    public static string MetricName(StatsMetric metric) => metric switch
    {
        StatsMetric.Visitors => "visitors",
        StatsMetric.Visits => "visits",
        StatsMetric.Pageviews => "pageviews",
        StatsMetric.ViewsPerVisit => "views_per_visit",
        StatsMetric.BounceRate => "bounce_rate",
        StatsMetric.VisitDuration => "visit_duration",
        StatsMetric.Events => "events",
        StatsMetric.ConversionRate => "conversion_rate",
        _ => throw new ArgumentOutOfRangeException(nameof(metric)),
    };

    /// <summary>The SQL for <paramref name="query"/> over <paramref name="range"/>, with its parameters.</summary>
    /// <param name="query">The validated query.</param>
    /// <param name="range">The range to count: the query's own, or its previous period.</param>
    /// <param name="eventsRelation">The relation with the columns of <c>events</c>.</param>
    /// <param name="paginate">Whether to apply the query's limit and offset (not for a comparison's rows).</param>
    public static BoundSql Build(StatsQuery query, StatsDateRange range, string eventsRelation, bool paginate)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(range);
        var parameters = new List<object?> { query.SiteId };
        var zone = TimeZoneInfo.FindSystemTimeZoneById(query.TimeZone);
        // Sessions end at the site's midnight, so the range's events alone make its sessions.
        var sql = new StringBuilder("WITH \"site_events\" AS (SELECT * FROM ").Append(eventsRelation).Append(" WHERE \"site_id\" = $1 AND ");
        if (range.From is { } from)
        {
            parameters.Add(from);
            sql.Append("\"timestamp\" >= $").Append(parameters.Count).Append(" AND ");
        }

        parameters.Add(range.To);
        sql.Append("\"timestamp\" < $").Append(parameters.Count).Append("), ")
            .Append("\"tagged\" AS (").Append(SessionsSql.SessionisedEvents("\"site_events\"", LocalTimeSql.Date(zone, range.From, range.To))).Append("), ")
            .Append("\"visits\" AS (").Append(SessionsSql.Select("\"tagged\"")).Append("), ")
            .Append("\"e\" AS (SELECT t.\"timestamp\", t.\"type\", t.\"path\", t.\"event\", t.\"host\", t.\"properties\", t.\"visitor_key\", ")
            .Append("s.\"session_id\", s.\"is_bounce\", s.\"duration_seconds\"");
        foreach (var dimension in VisitColumns)
        {
            sql.Append(", s.").Append(DuckDb.Sql.Identifier(dimension)).Append(" AS ").Append(DuckDb.Sql.Identifier("v_" + dimension));
        }

        sql.Append(" FROM \"tagged\" t JOIN \"visits\" s USING (\"site_id\", \"visitor_key\", \"session_seq\")), ");

        var (goal, rest) = query.Metrics.Contains(StatsMetric.ConversionRate) ? SplitGoal(query.Filter) : (null, query.Filter);
        var goalSql = goal is null ? "TRUE" : FilterSql(goal, query, range, parameters);

        // Per session and group: what the session did in the group.
        var dimensions = new List<string>(query.Dimensions.Count);
        sql.Append("\"per_visit\" AS (SELECT ");
        for (var i = 0; i < query.Dimensions.Count; i++)
        {
            var alias = "d" + i.ToString(CultureInfo.InvariantCulture);
            dimensions.Add(alias);
            sql.Append(DimensionSql(query.Dimensions[i], query, range, parameters)).Append(" AS ").Append(alias).Append(", ");
        }

        sql.Append("\"session_id\", any_value(\"visitor_key\") AS \"visitor_key\", any_value(\"is_bounce\") AS \"is_bounce\", ")
            .Append("any_value(\"duration_seconds\") AS \"duration_seconds\", ")
            .Append("count(*) FILTER (WHERE \"type\" = 'page' AND ").Append(goalSql).Append(") AS \"pageviews\", ")
            .Append("count(*) FILTER (WHERE ").Append(goalSql).Append(") AS \"events\", ")
            .Append("bool_or(").Append(goalSql).Append(") AS \"converted\" FROM \"e\"");
        if (rest is not null)
        {
            sql.Append(" WHERE ").Append(FilterSql(rest, query, range, parameters));
        }

        sql.Append(" GROUP BY ");
        foreach (var alias in dimensions)
        {
            sql.Append(alias).Append(", ");
        }

        sql.Append("\"session_id\") SELECT ");
        foreach (var alias in dimensions)
        {
            sql.Append(alias).Append(", ");
        }

        for (var i = 0; i < query.Metrics.Count; i++)
        {
            sql.Append(i == 0 ? "" : ", ").Append(MetricSql(query.Metrics[i])).Append(" AS ").Append(DuckDb.Sql.Identifier(MetricName(query.Metrics[i])));
        }

        sql.Append(" FROM \"per_visit\"");
        if (dimensions.Count > 0)
        {
            sql.Append(" GROUP BY ").Append(string.Join(", ", dimensions)).Append(" HAVING bool_or(\"converted\")");
            AppendOrder(sql, query, dimensions);
        }

        if (paginate)
        {
            sql.Append(" LIMIT ").Append(query.Limit).Append(" OFFSET ").Append(query.Offset);
        }

        return new BoundSql(sql.ToString(), parameters);
    }

    /// <summary>The session columns visit dimensions read.</summary>
    private static readonly string[] VisitColumns = [.. StatsDimension.Visits.Select(d => d.Column)];

    private static string MetricSql(StatsMetric metric) => metric switch
    {
        StatsMetric.Visitors => "count(DISTINCT \"visitor_key\") FILTER (WHERE \"converted\")",
        StatsMetric.Visits => "count(*) FILTER (WHERE \"converted\")",
        StatsMetric.Pageviews => "CAST(coalesce(sum(\"pageviews\"), 0) AS BIGINT)",
        StatsMetric.Events => "CAST(coalesce(sum(\"events\"), 0) AS BIGINT)",
        StatsMetric.ViewsPerVisit =>
            "coalesce(round(sum(\"pageviews\") / nullif(count(*) FILTER (WHERE \"converted\"), 0), 2), 0)",
        StatsMetric.BounceRate =>
            "CAST(coalesce(round(100.0 * count(*) FILTER (WHERE \"converted\" AND \"is_bounce\") / nullif(count(*) FILTER (WHERE \"converted\"), 0)), 0) AS BIGINT)",
        StatsMetric.VisitDuration =>
            "CAST(coalesce(round(avg(\"duration_seconds\") FILTER (WHERE \"converted\")), 0) AS BIGINT)",
        StatsMetric.ConversionRate =>
            "coalesce(round(100.0 * count(DISTINCT \"visitor_key\") FILTER (WHERE \"converted\") / nullif(count(DISTINCT \"visitor_key\"), 0), 2), 0)",
        _ => throw new ArgumentOutOfRangeException(nameof(metric)),
    };

    private static void AppendOrder(StringBuilder sql, StatsQuery query, List<string> dimensions)
    {
        sql.Append(" ORDER BY ");
        var first = true;
        void Key(string expression, bool descending)
        {
            sql.Append(first ? "" : ", ").Append(expression).Append(descending ? " DESC" : " ASC").Append(" NULLS LAST");
            first = false;
        }

        foreach (var order in query.OrderBy)
        {
            Key(order.Metric is { } metric ? DuckDb.Sql.Identifier(MetricName(metric)) : dimensions[IndexOf(query, order.Dimension!)], order.Descending);
        }

        if (query.OrderBy.Count == 0)
        {
            var time = query.Dimensions.ToList().FindIndex(d => d.IsTime);
            if (time >= 0)
            {
                Key(dimensions[time], descending: false);
            }
            else
            {
                Key(DuckDb.Sql.Identifier(MetricName(query.Metrics[0])), descending: true);
            }
        }

        // Every dimension last, so that equal metrics come in a stable order and pages do not overlap.
        foreach (var alias in dimensions)
        {
            Key(alias, descending: false);
        }
    }

    private static int IndexOf(StatsQuery query, StatsDimension dimension)
    {
        for (var i = 0; i < query.Dimensions.Count; i++)
        {
            if (query.Dimensions[i].Name == dimension.Name)
            {
                return i;
            }
        }

        throw new ArgumentException($"'{dimension.Name}' is not a dimension of the query", nameof(dimension));
    }

    private static string DimensionSql(StatsDimension dimension, StatsQuery query, StatsDateRange range, List<object?> parameters)
    {
        switch (dimension.Kind)
        {
            case DimensionKind.Event:
                return DuckDb.Sql.Identifier(dimension.Column);
            case DimensionKind.Visit:
                return DuckDb.Sql.Identifier("v_" + dimension.Column);
            case DimensionKind.EventProperty:
                parameters.Add(dimension.PropertyPath);
                return "json_extract_string(\"properties\", $" + parameters.Count.ToString(CultureInfo.InvariantCulture) + ")";
            default:
                var local = LocalTimeSql.Timestamp(TimeZoneInfo.FindSystemTimeZoneById(query.TimeZone), range.From, range.To);
                return dimension.Column switch
                {
                    "hour" => "strftime(" + local + ", '%Y-%m-%d %H:00:00')",
                    "day" => "strftime(" + local + ", '%Y-%m-%d')",
                    "week" => "strftime(date_trunc('week', " + local + "), '%Y-%m-%d')",
                    _ => "strftime(date_trunc('month', " + local + "), '%Y-%m-%d')",
                };
        }
    }

    private static string FilterSql(StatsFilter filter, StatsQuery query, StatsDateRange range, List<object?> parameters)
    {
        switch (filter)
        {
            case LogicalFilter logical:
                var parts = new string[logical.Filters.Count];
                for (var i = 0; i < parts.Length; i++)
                {
                    parts[i] = FilterSql(logical.Filters[i], query, range, parameters);
                }

                return "(" + string.Join(logical.IsAnd ? " AND " : " OR ", parts) + ")";
            case NotFilter not:
                return "(NOT coalesce(" + FilterSql(not.Filter, query, range, parameters) + ", FALSE))";
            case ComparisonFilter comparison:
                var column = DimensionSql(comparison.Dimension, query, range, parameters);
                var negated = comparison.Operator is FilterOperator.IsNot or FilterOperator.ContainsNot or FilterOperator.MatchesNot;
                var tests = new string[comparison.Values.Count];
                for (var i = 0; i < tests.Length; i++)
                {
                    parameters.Add(comparison.Values[i]);
                    var p = "$" + parameters.Count.ToString(CultureInfo.InvariantCulture);
                    tests[i] = comparison.Operator switch
                    {
                        FilterOperator.Is or FilterOperator.IsNot => column + " = " + p,
                        FilterOperator.Contains or FilterOperator.ContainsNot => "contains(lower(" + column + "), lower(" + p + "))",
                        _ => "regexp_matches(" + column + ", " + p + ")",
                    };
                }

                // A missing value matches no "is" and every "is_not", as Plausible treats "(none)".
                var any = "coalesce(" + string.Join(" OR ", tests) + ", FALSE)";
                return negated ? "(NOT " + any + ")" : any;
            default:
                throw new ArgumentOutOfRangeException(nameof(filter));
        }
    }

    /// <summary>Splits the goal (positive <c>event:name</c> comparisons at the top level) from the other filters.</summary>
    internal static (StatsFilter? Goal, StatsFilter? Others) SplitGoal(StatsFilter? filter) => filter switch
    {
        null => (null, null),
        { IsGoal: true } => (filter, null),
        LogicalFilter { IsAnd: true } conjunction => (
            LogicalFilter.AllOf([.. conjunction.Filters.Where(f => f.IsGoal)]),
            LogicalFilter.AllOf([.. conjunction.Filters.Where(f => !f.IsGoal)])),
        _ => (null, filter),
    };
}
