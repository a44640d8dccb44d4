using System.Text.RegularExpressions;
using Weir.Core.Events;
using Weir.Query.Conditions;
using Weir.Query.Funnels;
using Weir.Query.Retention;
using Weir.Query.Stats;

namespace Weir.Query.Tests;

/// <summary>
/// Naive funnels and retention written from their definitions (docs/query.md), not from the SQL: plain loops over
/// each visitor's de-duplicated events in client-time order.
/// </summary>
internal static class ReferenceReports
{
    /// <summary>Breakdown value (null key "\u0001" for a missing value, "" for the total) → visitors per step, then median seconds per step after the first.</summary>
    public static Dictionary<string, (long[] Visitors, double?[] Medians)> Funnel(List<ReferenceStats.Tagged> tagged, FunnelQuery query)
    {
        var best = new List<(string Breakdown, List<DateTimeOffset> Times)>();
        var byVisitor = tagged.Where(t => t.Event.SiteId == query.SiteId && InRange(t.Event, query.DateRange))
            .GroupBy(t => t.VisitorKey);
        foreach (var visitor in byVisitor)
        {
            var ordered = visitor.OrderBy(t => t.Event.Timestamp).ThenBy(t => t.Event.MessageId, StringComparer.Ordinal).ToList();
            List<DateTimeOffset>? bestTimes = null;
            string? bestBreakdown = null;
            for (var i = 0; i < ordered.Count; i++)
            {
                if (!Matches(query.Steps[0], ordered[i].Event))
                {
                    continue;
                }

                var times = new List<DateTimeOffset> { ordered[i].Event.Timestamp };
                var at = i;
                for (var k = 1; k < query.Steps.Count; k++)
                {
                    var next = -1;
                    for (var j = at + 1; j < ordered.Count && (next < 0); j++)
                    {
                        if (Matches(query.Steps[k], ordered[j].Event))
                        {
                            next = j;
                        }
                        else if (query.StrictOrder)
                        {
                            break;
                        }
                    }

                    if (next < 0 || ordered[next].Event.Timestamp > times[0] + query.Window)
                    {
                        break;
                    }

                    times.Add(ordered[next].Event.Timestamp);
                    at = next;
                }

                if (bestTimes is null || times.Count > bestTimes.Count)
                {
                    bestTimes = times;
                    bestBreakdown = query.Breakdown is { } dimension ? Value(dimension, ordered[i]) ?? "\u0001" : "";
                }
            }

            if (bestTimes is not null)
            {
                best.Add((bestBreakdown!, bestTimes));
            }
        }

        var result = new Dictionary<string, (long[], double?[])> { [""] = Aggregate(best, query.Steps.Count) };
        if (query.Breakdown is not null)
        {
            foreach (var group in best.GroupBy(b => b.Breakdown))
            {
                result["=" + group.Key] = Aggregate([.. group], query.Steps.Count);
            }
        }

        return result;
    }

    /// <summary>Cohort start → size, then visitors returning in periods 1.. (Periods - 1).</summary>
    public static Dictionary<DateOnly, long[]> Retention(IEnumerable<CanonicalEvent> arrivals, RetentionQuery query)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(query.TimeZone);
        DateOnly LocalPeriod(DateTimeOffset at) =>
            RetentionQuery.PeriodOf(DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime), query.Period);
        var from = StatsRequestParser.StartOfDay(query.FirstCohort, zone);
        var to = StatsRequestParser.StartOfDay(query.PeriodAfter(query.LastCohort, 1), zone);
        var horizon = StatsRequestParser.StartOfDay(query.PeriodAfter(query.LastCohort, query.Periods), zone);
        var kept = new Dictionary<string, CanonicalEvent>();
        foreach (var e in arrivals)
        {
            kept.TryAdd(e.MessageId, e);
        }

        var matrix = new Dictionary<DateOnly, long[]>();
        var visitors = kept.Values.Where(e => e.SiteId == query.SiteId && e.Type is EventType.Page or EventType.Screen or EventType.Track
                && (e.AnonymousId ?? e.UserId) is not null && e.Timestamp < horizon)
            .GroupBy(e => e.AnonymousId ?? e.UserId!);
        foreach (var visitor in visitors)
        {
            var firsts = visitor.Where(e => Matches(query.CohortEvent, e)).Select(e => e.Timestamp).ToList();
            if (firsts.Count == 0 || firsts.Min() < from || firsts.Min() >= to)
            {
                continue;
            }

            var cohort = LocalPeriod(firsts.Min());
            if (!matrix.TryGetValue(cohort, out var row))
            {
                matrix[cohort] = row = new long[query.Periods];
            }

            row[0]++;
            var returned = visitor.Where(e => e.Timestamp >= from && Matches(query.ReturnEvent, e)).Select(e => LocalPeriod(e.Timestamp)).ToHashSet();
            for (var k = 1; k < query.Periods; k++)
            {
                if (returned.Contains(query.PeriodAfter(cohort, k)))
                {
                    row[k]++;
                }
            }
        }

        return matrix;
    }

    public static bool Matches(EventCondition condition, CanonicalEvent e)
    {
        if (condition.PagePattern is { } pattern && !(e.Type == EventType.Page && e.Path is not null && Glob(pattern).IsMatch(e.Path)))
        {
            return false;
        }

        if (condition.EventName is { } name && e.Event != name)
        {
            return false;
        }

        foreach (var (key, text) in condition.Properties)
        {
            if (e.Properties is null || !e.Properties.Contains($"\"{key}\":\"{text}\"", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static (long[], double?[]) Aggregate(List<(string Breakdown, List<DateTimeOffset> Times)> best, int steps)
    {
        var visitors = new long[steps];
        var medians = new double?[steps];
        for (var k = 0; k < steps; k++)
        {
            var reached = best.Where(b => b.Times.Count > k).ToList();
            visitors[k] = reached.Count;
            if (k > 0 && reached.Count > 0)
            {
                var gaps = reached.Select(b => (b.Times[k] - b.Times[k - 1]).TotalSeconds).Order().ToList();
                var middle = gaps.Count / 2;
                var median = gaps.Count % 2 == 1 ? gaps[middle] : (gaps[middle - 1] + gaps[middle]) / 2;
                medians[k] = Math.Round(median, 1, MidpointRounding.AwayFromZero);
            }
        }

        return (visitors, medians);
    }

    private static string? Value(StatsDimension dimension, ReferenceStats.Tagged t) => dimension.Name switch
    {
        "event:page" => t.Event.Path,
        "event:name" => t.Event.Event,
        "visit:entry_page" => t.Visit.EntryPage,
        "visit:exit_page" => t.Visit.ExitPage,
        "visit:referrer" => t.Visit.Referrer,
        _ => throw new NotSupportedException($"the reference has no {dimension.Name}"),
    };

    private static bool InRange(CanonicalEvent e, StatsDateRange range) =>
        (range.From is null || e.Timestamp >= range.From) && e.Timestamp < range.To;

    /// <summary>A glob as a regular expression: <c>*</c>, <c>?</c> and sets such as <c>[a-d]</c> (no negation).</summary>
    private static Regex Glob(string pattern)
    {
        var regex = new System.Text.StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            var close = c == '[' ? pattern.IndexOf(']', i + 2) : -1;
            if (close > 0)
            {
                regex.Append('[').Append(pattern, i + 1, close - i - 1).Append(']');
                i = close;
            }
            else
            {
                regex.Append(c switch { '*' => ".*", '?' => ".", _ => Regex.Escape(c.ToString()) });
            }
        }

        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
