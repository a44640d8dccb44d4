using System.Buffers;
using System.Runtime.InteropServices;
using Weir.Query.Retention;

namespace Weir.Query.Visits;

/// <summary>
/// A retention matrix from the day summaries of <see cref="VisitStore"/>, when both the cohort and the return event
/// are any session event (the default): a visitor's cohort is the period of their first session ever, and they return
/// in every period with a session. It gives the counts <see cref="RetentionSql"/> would; other conditions go to SQL.
/// </summary>
internal static class VisitRetention
{
    public static bool Supports(RetentionQuery query) => query.CohortEvent.IsAnySessionEvent && query.ReturnEvent.IsAnySessionEvent;

    /// <summary>
    /// Visitors per (cohort start, period offset), offset 0 being the cohort's size, over <paramref name="days"/>: every
    /// local day from the site's first to the last day of the query's horizon, the first being <paramref name="firstDay"/>.
    /// </summary>
    public static Dictionary<(DateOnly Cohort, int Offset), long> Count(RetentionQuery query, SiteVisits site, ReadOnlySpan<VisitDay> days, DateOnly firstDay)
    {
        int visitorCount;
        lock (site)
        {
            visitorCount = site.VisitorCount;
        }

        var counts = new Dictionary<(DateOnly, int), long>();
        var firstSeenArray = ArrayPool<int>.Shared.Rent(visitorCount);
        var firstSeen = firstSeenArray.AsSpan(0, visitorCount);
        firstSeen.Fill(-1);
        for (var d = 0; d < days.Length; d++)
        {
            foreach (var v in CollectionsMarshal.AsSpan(days[d].Visitor))
            {
                if (firstSeen[v] < 0)
                {
                    firstSeen[v] = d;
                }
            }
        }

        // The cohort of each visitor first seen within the cohorts' days, as the start of its period.
        var from = query.FirstCohort.DayNumber - firstDay.DayNumber;
        var to = query.PeriodAfter(query.LastCohort, 1).DayNumber - firstDay.DayNumber;
        var periodOfDay = new DateOnly[days.Length];
        for (var d = 0; d < days.Length; d++)
        {
            periodOfDay[d] = RetentionQuery.PeriodOf(firstDay.AddDays(d), query.Period);
        }

        foreach (ref var seen in firstSeen)
        {
            if (seen >= from && seen < to)
            {
                var cohort = periodOfDay[seen];
                counts[(cohort, 0)] = counts.GetValueOrDefault((cohort, 0)) + 1;
            }
            else
            {
                seen = -1;
            }
        }

        // Returns: one bit per visitor and offset, so a visitor counts once per period however many sessions it holds.
        var words = (visitorCount + 64) >> 6;
        var marks = new ulong[query.Periods * words];
        for (var d = Math.Max(from, 0); d < days.Length; d++)
        {
            var period = periodOfDay[d];
            foreach (var v in CollectionsMarshal.AsSpan(days[d].Visitor))
            {
                var seen = firstSeen[v];
                if (seen < 0)
                {
                    continue;
                }

                var cohort = periodOfDay[seen];
                var k = Offset(query.Period, cohort, period);
                if (k < 1 || k >= query.Periods)
                {
                    continue;
                }

                ref var word = ref marks[(k * words) + (v >> 6)];
                var mask = 1UL << (v & 63);
                if ((word & mask) == 0)
                {
                    word |= mask;
                    counts[(cohort, k)] = counts.GetValueOrDefault((cohort, k)) + 1;
                }
            }
        }

        ArrayPool<int>.Shared.Return(firstSeenArray);
        return counts;
    }

    /// <summary>How many periods <paramref name="period"/> comes after <paramref name="cohort"/>, as the SQL counts them.</summary>
    private static int Offset(RetentionPeriod unit, DateOnly cohort, DateOnly period) => unit switch
    {
        RetentionPeriod.Day => period.DayNumber - cohort.DayNumber,
        RetentionPeriod.Week => (period.DayNumber - cohort.DayNumber) / 7,
        _ => ((period.Year - cohort.Year) * 12) + period.Month - cohort.Month,
    };
}
