using System.Globalization;
using System.Text;
using Weir.Query.Execution;
using Weir.Query.Sessions;
using Weir.Query.Stats;

namespace Weir.Query.Funnels;

/// <summary>
/// Writes the SQL of a funnel (see docs/query.md "Funnels"). Each visitor's candidate events are numbered in client-time
/// order; every first-step event starts an attempt, which takes for each next step the earliest matching event after
/// the previous step's (an ASOF join) as long as it comes within the window of the first. Taking the earliest match
/// is what reaches furthest, so each attempt's depth is the most it can reach; the visitor counts with the attempt
/// that got furthest, the earliest of those on a tie.
/// </summary>
/// <remarks>
/// In strict order the next step must be the visitor's very next event (of any kind), so every event is numbered;
/// in loose order only events that match some step need to be. Rows come back per breakdown value, plus a total row
/// (<c>grouping = 1</c>) first: <c>grouping, value, visitors at step 1..n, median seconds from step k-1 to k for k = 2..n</c>.
/// </remarks>
public static class FunnelSql
{
    public static BoundSql Build(FunnelQuery query, string eventsRelation)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentException.ThrowIfNullOrWhiteSpace(eventsRelation);
        var parameters = new List<object?> { query.SiteId };
        var n = query.Steps.Count;
        var sql = new StringBuilder("WITH \"site_events\" AS (SELECT * FROM ").Append(eventsRelation).Append(" WHERE \"site_id\" = $1 AND ")
            .Append(RangeCondition(query.DateRange, parameters)).Append("), ");
        var breakdown = query.Breakdown;
        if (breakdown is { Kind: DimensionKind.Visit })
        {
            // The first step's visit attributes: the range's sessions, cut as the stats cut them.
            var localDay = LocalTimeSql.Date(TimeZoneInfo.FindSystemTimeZoneById(query.TimeZone), query.DateRange.From, query.DateRange.To);
            sql.Append("\"tagged\" AS (").Append(SessionsSql.SessionisedEvents("\"site_events\"", localDay)).Append("), ")
                .Append("\"visits\" AS (").Append(SessionsSql.Select("\"tagged\"")).Append("), ")
                .Append("\"src\" AS (SELECT t.*, s.").Append(DuckDb.Sql.Identifier(breakdown.Column)).Append(" AS \"breakdown_value\" ")
                .Append("FROM \"tagged\" t JOIN \"visits\" s USING (\"site_id\", \"visitor_key\", \"session_seq\")), ");
        }
        else
        {
            sql.Append("\"src\" AS (SELECT *, ").Append(SessionsSql.VisitorKeyExpression).Append(" AS \"visitor_key\", ")
                .Append(breakdown is null ? "NULL" : EventValue(breakdown, parameters)).Append(" AS \"breakdown_value\" FROM \"site_events\" WHERE ")
                .Append(SessionsSql.SessionEventCondition).Append("), ");
        }

        sql.Append("\"marked\" AS (SELECT \"visitor_key\", \"timestamp\", \"message_id\", \"breakdown_value\"");
        for (var k = 1; k <= n; k++)
        {
            sql.Append(", ").Append(query.Steps[k - 1].ToSql(parameters)).Append(" AS c").Append(Number(k));
        }

        sql.Append(" FROM \"src\"), \"numbered\" AS (SELECT *, row_number() OVER (PARTITION BY \"visitor_key\" ORDER BY \"timestamp\", \"message_id\") AS \"seq\" FROM \"marked\"");
        if (!query.StrictOrder)
        {
            sql.Append(" WHERE ");
            for (var k = 1; k <= n; k++)
            {
                sql.Append(k == 1 ? "" : " OR ").Append('c').Append(Number(k));
            }
        }

        var window = (long)(query.Window.Ticks / TimeSpan.TicksPerMicrosecond);
        sql.Append("), \"a1\" AS (SELECT \"visitor_key\", \"breakdown_value\", \"seq\" AS s1, \"timestamp\" AS t1 FROM \"numbered\" WHERE c1)");
        for (var k = 2; k <= n; k++)
        {
            var previous = "a" + Number(k - 1);
            var step = Number(k);
            // An ASOF join may match a row whose key is NULL (an attempt that stopped earlier), so that is checked too.
            var reached = "a.s" + Number(k - 1) + " IS NOT NULL AND x.\"timestamp\" <= a.t1 + to_microseconds(" + Number(window) + ")";
            sql.Append(", \"a").Append(step).Append("\" AS (SELECT a.*, CASE WHEN ").Append(reached).Append(" THEN x.\"seq\" END AS s").Append(step)
                .Append(", CASE WHEN ").Append(reached).Append(" THEN x.\"timestamp\" END AS t").Append(step).Append(" FROM \"").Append(previous).Append("\" a ")
                .Append(query.StrictOrder ? "LEFT JOIN" : "ASOF LEFT JOIN")
                .Append(" (SELECT \"visitor_key\", \"seq\", \"timestamp\" FROM \"numbered\" WHERE c").Append(step).Append(") x ON a.\"visitor_key\" = x.\"visitor_key\" AND ")
                .Append(query.StrictOrder ? "x.\"seq\" = a.s" + Number(k - 1) + " + 1" : "a.s" + Number(k - 1) + " < x.\"seq\"")
                .Append(')');
        }

        sql.Append(", \"best\" AS (SELECT *, CASE");
        for (var k = n; k >= 2; k--)
        {
            sql.Append(" WHEN s").Append(Number(k)).Append(" IS NOT NULL THEN ").Append(Number(k));
        }

        sql.Append(" ELSE 1 END AS \"depth\" FROM \"a").Append(Number(n))
            .Append("\" QUALIFY row_number() OVER (PARTITION BY \"visitor_key\" ORDER BY \"depth\" DESC, s1) = 1) ")
            .Append(breakdown is null ? "SELECT 1 AS g, NULL AS \"breakdown_value\"" : "SELECT grouping(\"breakdown_value\") AS g, \"breakdown_value\"");
        for (var k = 1; k <= n; k++)
        {
            sql.Append(", count(*) FILTER (WHERE \"depth\" >= ").Append(Number(k)).Append(')');
        }

        for (var k = 2; k <= n; k++)
        {
            sql.Append(", round(median(epoch_us(t").Append(Number(k)).Append(") - epoch_us(t").Append(Number(k - 1))
                .Append(")) FILTER (WHERE \"depth\" >= ").Append(Number(k)).Append(") / 1000000.0, 1)");
        }

        sql.Append(" FROM \"best\"");
        if (breakdown is not null)
        {
            // The total row, the page of values, and one more to tell whether there were more.
            sql.Append(" GROUP BY GROUPING SETS ((), (\"breakdown_value\")) ORDER BY g DESC, 3 DESC, \"breakdown_value\" NULLS LAST LIMIT ")
                .Append(query.BreakdownLimit + 2);
        }
        return new BoundSql(sql.ToString(), parameters);
    }

    private static string RangeCondition(StatsDateRange range, List<object?> parameters)
    {
        var condition = new StringBuilder();
        if (range.From is { } from)
        {
            parameters.Add(from);
            condition.Append("\"timestamp\" >= $").Append(Number(parameters.Count)).Append(" AND ");
        }

        parameters.Add(range.To);
        return condition.Append("\"timestamp\" < $").Append(Number(parameters.Count)).ToString();
    }

    /// <summary>The value of an event dimension on the event itself.</summary>
    private static string EventValue(StatsDimension dimension, List<object?> parameters)
    {
        if (dimension.Kind == DimensionKind.EventProperty)
        {
            parameters.Add(dimension.PropertyPath);
            return "json_extract_string(\"properties\", $" + Number(parameters.Count) + ")";
        }

        return DuckDb.Sql.Identifier(dimension.Column);
    }

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
}
