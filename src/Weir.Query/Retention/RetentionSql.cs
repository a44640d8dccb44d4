using System.Globalization;
using System.Text;
using Weir.Query.Execution;
using Weir.Query.Sessions;
using Weir.Query.Stats;

namespace Weir.Query.Retention;

/// <summary>
/// Writes the SQL of a retention matrix (see docs/query.md "Retention"): each visitor's cohort is the period of their
/// first cohort event ever (not only the range's, so a visitor first seen before the range is in no cohort of it);
/// a cohort's period <c>k ≥ 1</c> counts its visitors with a return event in the <c>k</c>-th period after. Rows:
/// <c>cohort (date), k, visitors</c>, with <c>k = 0</c> the cohort's size.
/// </summary>
public static class RetentionSql
{
    public static BoundSql Build(RetentionQuery query, string eventsRelation)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentException.ThrowIfNullOrWhiteSpace(eventsRelation);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(query.TimeZone);
        var from = StatsRequestParser.StartOfDay(query.FirstCohort, zone);
        var to = StatsRequestParser.StartOfDay(query.PeriodAfter(query.LastCohort, 1), zone);
        var horizon = StatsRequestParser.StartOfDay(query.PeriodAfter(query.LastCohort, query.Periods), zone);
        var parameters = new List<object?> { query.SiteId, horizon, from, to };
        var unit = query.Period switch
        {
            RetentionPeriod.Day => "day",
            RetentionPeriod.Week => "week",
            _ => "month",
        };
        var offset = query.Period switch
        {
            RetentionPeriod.Day => "(r.\"period\" - c.\"cohort\")",
            RetentionPeriod.Week => "((r.\"period\" - c.\"cohort\") // 7)",
            _ => "((year(r.\"period\") - year(c.\"cohort\")) * 12 + month(r.\"period\") - month(c.\"cohort\"))",
        };
        var local = LocalTimeSql.Timestamp(zone, from, horizon);
        var sql = new StringBuilder("WITH \"e\" AS (SELECT ").Append(SessionsSql.VisitorKeyExpression).Append(" AS \"visitor_key\", \"timestamp\", ")
            .Append(query.CohortEvent.ToSql(parameters)).Append(" AS \"c\", ").Append(query.ReturnEvent.ToSql(parameters)).Append(" AS \"r\" FROM ")
            .Append(eventsRelation).Append(" WHERE \"site_id\" = $1 AND ").Append(SessionsSql.SessionEventCondition).Append(" AND \"timestamp\" < $2), ")
            .Append("\"first_seen\" AS (SELECT \"visitor_key\", min(\"timestamp\") AS \"first_at\" FROM \"e\" WHERE \"c\" GROUP BY 1), ")
            .Append("\"cohorts\" AS (SELECT \"visitor_key\", CAST(date_trunc('").Append(unit).Append("', ").Append(LocalTimeSql.Timestamp(zone, from, horizon, "\"first_at\""))
            .Append(") AS DATE) AS \"cohort\" FROM \"first_seen\" WHERE \"first_at\" >= $3 AND \"first_at\" < $4), ")
            .Append("\"returns\" AS (SELECT DISTINCT \"visitor_key\", CAST(date_trunc('").Append(unit).Append("', ").Append(local)
            .Append(") AS DATE) AS \"period\" FROM \"e\" WHERE \"r\" AND \"timestamp\" >= $3) ")
            .Append("SELECT \"cohort\", 0 AS \"k\", count(*) AS \"visitors\" FROM \"cohorts\" GROUP BY 1 UNION ALL ")
            .Append("SELECT c.\"cohort\", ").Append(offset).Append(" AS \"k\", count(*) FROM \"cohorts\" c JOIN \"returns\" r USING (\"visitor_key\") ")
            .Append("WHERE r.\"period\" > c.\"cohort\" AND ").Append(offset).Append(" < ").Append(query.Periods.ToString(CultureInfo.InvariantCulture))
            .Append(" GROUP BY 1, 2");
        return new BoundSql(sql.ToString(), parameters);
    }
}
