using System.Globalization;
using System.Text.Json;
using Weir.Core.Events;
using Weir.Query.Stats;

namespace Weir.Query.Tests;

/// <summary>
/// A deliberately naive, in-memory implementation of the stats semantics (docs/query.md "Stats"), written from the
/// definitions and not from the SQL: de-duplicate by message id (first received wins), cut sessions per visitor at
/// gaps over 30 minutes and at midnight in the site's time zone, in client-time order, give every event its session's
/// attributes, then count per group.
/// </summary>
internal static class ReferenceStats
{
    public sealed record Visit(string Id, bool IsBounce, double DurationSeconds, string? EntryPage, string? ExitPage, string? Referrer);

    public sealed record Tagged(CanonicalEvent Event, string VisitorKey, Visit Visit);

    /// <summary>The events the lake keeps, each with its session.</summary>
    public static List<Tagged> Sessionise(IEnumerable<CanonicalEvent> arrivals, string timeZone)
    {
        var kept = new Dictionary<string, CanonicalEvent>();
        foreach (var e in arrivals)
        {
            kept.TryAdd(e.MessageId, e);
        }

        var zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        DateOnly LocalDay(CanonicalEvent e) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(e.Timestamp, zone).DateTime);
        var tagged = new List<Tagged>();
        var byVisitor = kept.Values
            .Where(e => e.Type is EventType.Page or EventType.Screen or EventType.Track && (e.AnonymousId ?? e.UserId) is not null)
            .GroupBy(e => (e.SiteId, Key: e.AnonymousId ?? e.UserId!));
        foreach (var visitor in byVisitor)
        {
            var ordered = visitor.OrderBy(e => e.Timestamp).ThenBy(e => e.MessageId, StringComparer.Ordinal).ToList();
            var start = 0;
            for (var i = 1; i <= ordered.Count; i++)
            {
                if (i == ordered.Count || ordered[i].Timestamp - ordered[i - 1].Timestamp > TimeSpan.FromMinutes(30) || LocalDay(ordered[i]) != LocalDay(ordered[i - 1]))
                {
                    var session = ordered.GetRange(start, i - start);
                    var pages = session.Where(e => e.Type == EventType.Page).ToList();
                    var visit = new Visit(
                        visitor.Key.Key + "/" + session[0].Timestamp.ToUnixTimeMilliseconds(),
                        session.Count == 1 && pages.Count == 1,
                        (session[^1].Timestamp - session[0].Timestamp).TotalSeconds,
                        pages.FirstOrDefault()?.Path,
                        pages.LastOrDefault()?.Path,
                        session[0].Referrer);
                    foreach (var e in session)
                    {
                        tagged.Add(new Tagged(e, visitor.Key.Key, visit));
                    }

                    start = i;
                }
            }
        }

        return tagged;
    }

    /// <summary>The rows <c>POST /api/v1/stats</c> should answer, unordered, each as dimension values then metric values.</summary>
    public static List<object?[]> Run(List<Tagged> events, StatsQuery query, StatsDateRange range)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(query.TimeZone);
        var inRange = events.Where(t => t.Event.SiteId == query.SiteId && (range.From is null || t.Event.Timestamp >= range.From) && t.Event.Timestamp < range.To);
        var goal = query.Metrics.Contains(StatsMetric.ConversionRate) ? Goal(query.Filter) : null;
        var rest = goal is null ? query.Filter : Rest(query.Filter);
        var filtered = inRange.Where(t => rest is null || Matches(rest, t, zone)).ToList();
        var groups = filtered.GroupBy(t => string.Join("\u0000", query.Dimensions.Select(d => Value(d, t, zone) ?? "\u0001")));
        var rows = new List<object?[]>();
        foreach (var group in groups)
        {
            var perVisit = group.GroupBy(t => t.Visit.Id).Select(v => (
                Visit: v.First().Visit,
                Visitor: v.First().VisitorKey,
                Pageviews: v.Count(t => t.Event.Type == EventType.Page && (goal is null || Matches(goal, t, zone))),
                Events: v.Count(t => goal is null || Matches(goal, t, zone)),
                Converted: v.Any(t => goal is null || Matches(goal, t, zone)))).ToList();
            var converted = perVisit.Where(v => v.Converted).ToList();
            if (query.Dimensions.Count > 0 && converted.Count == 0)
            {
                continue;
            }

            var row = new List<object?>();
            foreach (var dimension in query.Dimensions)
            {
                row.Add(Value(dimension, group.First(), zone));
            }

            foreach (var metric in query.Metrics)
            {
                long visits = converted.Count;
                long pageviews = perVisit.Sum(v => v.Pageviews);
                row.Add(metric switch
                {
                    StatsMetric.Visitors => (object)(long)converted.Select(v => v.Visitor).Distinct().Count(),
                    StatsMetric.Visits => visits,
                    StatsMetric.Pageviews => pageviews,
                    StatsMetric.Events => (long)perVisit.Sum(v => v.Events),
                    StatsMetric.ViewsPerVisit => visits == 0 ? 0.0 : Math.Round((double)pageviews / visits, 2, MidpointRounding.AwayFromZero),
                    StatsMetric.BounceRate => visits == 0 ? 0L : (long)Math.Round(100.0 * converted.Count(v => v.Visit.IsBounce) / visits, MidpointRounding.AwayFromZero),
                    StatsMetric.VisitDuration => visits == 0 ? 0L : (long)Math.Round(converted.Average(v => v.Visit.DurationSeconds), MidpointRounding.AwayFromZero),
                    StatsMetric.ConversionRate => Math.Round(100.0 * converted.Select(v => v.Visitor).Distinct().Count() / perVisit.Select(v => v.Visitor).Distinct().Count(), 2, MidpointRounding.AwayFromZero),
                    _ => throw new ArgumentOutOfRangeException(nameof(query)),
                });
            }

            rows.Add([.. row]);
        }

        if (query.Dimensions.Count == 0 && rows.Count == 0)
        {
            rows.Add([.. query.Metrics.Select(m => m is StatsMetric.ViewsPerVisit or StatsMetric.ConversionRate ? (object)0.0 : 0L)]);
        }

        return rows;
    }

    private static string? Value(StatsDimension dimension, Tagged t, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(t.Event.Timestamp, zone).DateTime;
        return dimension.Name switch
        {
            "event:page" => t.Event.Path,
            "event:name" => t.Event.Event,
            "event:hostname" => t.Event.Host,
            "visit:entry_page" => t.Visit.EntryPage,
            "visit:exit_page" => t.Visit.ExitPage,
            "visit:referrer" => t.Visit.Referrer,
            "time:day" => local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            "time:hour" => local.ToString("yyyy-MM-dd HH:00:00", CultureInfo.InvariantCulture),
            "time:week" => local.Date.AddDays(-(((int)local.DayOfWeek + 6) % 7)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            "time:month" => new DateTime(local.Year, local.Month, 1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            _ when dimension.Kind == DimensionKind.EventProperty => Property(t.Event.Properties, dimension.Column),
            _ => throw new ArgumentException($"the reference does not know {dimension.Name}", nameof(dimension)),
        };
    }

    private static string? Property(string? json, string key)
    {
        if (json is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
    }

    private static bool Matches(StatsFilter filter, Tagged t, TimeZoneInfo zone) => filter switch
    {
        LogicalFilter { IsAnd: true } conjunction => conjunction.Filters.All(f => Matches(f, t, zone)),
        LogicalFilter disjunction => disjunction.Filters.Any(f => Matches(f, t, zone)),
        NotFilter not => !Matches(not.Filter, t, zone),
        ComparisonFilter c => Compare(c, Value(c.Dimension, t, zone)),
        _ => throw new ArgumentOutOfRangeException(nameof(filter)),
    };

    private static bool Compare(ComparisonFilter c, string? value)
    {
        var any = value is not null && c.Values.Any(v => c.Operator switch
        {
            FilterOperator.Is or FilterOperator.IsNot => value == v,
            FilterOperator.Contains or FilterOperator.ContainsNot => value.Contains(v, StringComparison.OrdinalIgnoreCase),
            _ => System.Text.RegularExpressions.Regex.IsMatch(value, v),
        });
        return c.Operator is FilterOperator.IsNot or FilterOperator.ContainsNot or FilterOperator.MatchesNot ? !any : any;
    }

    private static bool IsGoal(StatsFilter f) => f is ComparisonFilter { Dimension.Name: "event:name", Operator: FilterOperator.Is or FilterOperator.Contains or FilterOperator.Matches };

    private static StatsFilter? Goal(StatsFilter? filter) => filter switch
    {
        null => null,
        _ when IsGoal(filter) => filter,
        LogicalFilter { IsAnd: true } conjunction when conjunction.Filters.Any(IsGoal) => new LogicalFilter(true, [.. conjunction.Filters.Where(IsGoal)]),
        _ => null,
    };

    private static StatsFilter? Rest(StatsFilter? filter) => filter switch
    {
        null => null,
        _ when IsGoal(filter) => null,
        LogicalFilter { IsAnd: true } conjunction => conjunction.Filters.Where(f => !IsGoal(f)).ToList() is { Count: > 0 } rest ? new LogicalFilter(true, rest) : null,
        _ => filter,
    };
}
