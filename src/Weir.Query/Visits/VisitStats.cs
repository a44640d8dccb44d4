using System.Buffers;
using System.Globalization;
using Weir.Query.Retention;
using Weir.Query.Stats;

namespace Weir.Query.Visits;

/// <summary>
/// Stats computed from the day summaries of <see cref="VisitStore"/> instead of SQL over the events: the dashboard's
/// queries (no filters, no goal, at most one dimension among the visit attributes, page, event name and day, week or
/// month). It gives the rows <see cref="StatsSql"/> would, in the same order and types; everything else goes to SQL.
/// </summary>
/// <remarks>
/// Every metric but visitors adds up over the days' <see cref="DayGroups"/>. Visitors are united per group in linear
/// time: the (day, group) entries are bucketed by group (a counting sort), then each group's visitors are marked in one
/// shared bitmap, counted, and unmarked again; a group with one day's entry only (a <c>time:day</c> bucket) takes that
/// day's count as it is.
/// </remarks>
internal static class VisitStats
{
    private enum Source
    {
        None,
        Attribute,
        Pages,
        Names,
        Time,
    }

    public static bool Supports(StatsQuery query) =>
        query.Filter is null && !query.Metrics.Contains(StatsMetric.ConversionRate) && query.Dimensions.Count <= 1 && SourceOf(query) is not null;

    /// <summary>Where a query's groups come from; null for a dimension the summaries do not hold.</summary>
    private static Source? SourceOf(StatsQuery query) => query.Dimensions.Count == 0 ? Source.None : query.Dimensions[0] switch
    {
        { Kind: DimensionKind.Visit } => Source.Attribute,
        { Kind: DimensionKind.Event, Column: "path" } => Source.Pages,
        { Kind: DimensionKind.Event, Column: "event" } => Source.Names,
        { Kind: DimensionKind.Time, Column: "day" or "week" or "month" } => Source.Time,
        _ => null,
    };

    /// <summary>The rows of <paramref name="query"/> over <paramref name="days"/> (the range's local days, first to last).</summary>
    public static List<object?[]> Run(StatsQuery query, SiteVisits site, ReadOnlySpan<VisitDay> days, DateOnly firstDay, bool paginate)
    {
        var dimension = query.Dimensions.Count == 0 ? null : query.Dimensions[0];
        var source = SourceOf(query) ?? throw new ArgumentException($"the day summaries do not hold the dimension {dimension}", nameof(query));
        int visitorCount, valueCount;
        lock (site)
        {
            visitorCount = site.VisitorCount;
            valueCount = site.ValueCount;
        }

        // Group ids: a value id + 1 (0 for null), a time bucket, or 0 for no dimension.
        var buckets = new List<string>();
        var bucketOfDay = source == Source.Time ? TimeBuckets(dimension!.Column, firstDay, days.Length, buckets) : [];
        var groupCount = source switch
        {
            Source.None => 1,
            Source.Time => buckets.Count,
            _ => valueCount + 1,
        };
        var attribute = source == Source.Attribute ? VisitColumns.IndexOf(dimension!.Column) : -1;
        var perDay = new DayGroups[days.Length];
        var entries = 0;
        for (var d = 0; d < days.Length; d++)
        {
            perDay[d] = source switch
            {
                Source.Pages => days[d].PageGroups,
                Source.Names => days[d].NameGroups,
                _ => days[d].GroupsOf(attribute, site),
            };
            entries += perDay[d].Count;
        }

        // Sums add up over the days' groups; each (day, group) entry is kept to unite the visitors afterwards.
        var visits = new long[groupCount];
        var bounces = new long[groupCount];
        var pageviews = new long[groupCount];
        var events = new long[groupCount];
        var duration = new double[groupCount];
        var entryGroup = ArrayPool<int>.Shared.Rent(entries);
        var entryDay = ArrayPool<int>.Shared.Rent(entries);
        var entryIndex = ArrayPool<int>.Shared.Rent(entries);
        var e = 0;
        for (var d = 0; d < perDay.Length; d++)
        {
            var groups = perDay[d];
            var fixedGroup = source == Source.Time ? bucketOfDay[d] : 0;
            for (var i = 0; i < groups.Count; i++)
            {
                var g = source is Source.None or Source.Time ? fixedGroup : groups.Values[i] + 1;
                visits[g] += groups.Visits[i];
                bounces[g] += groups.Bounces[i];
                duration[g] += groups.Duration[i];
                pageviews[g] += groups.Pageviews[i];
                events[g] += groups.Events[i];
                entryGroup[e] = g;
                entryDay[e] = d;
                entryIndex[e++] = i;
            }
        }

        var visitors = DistinctVisitors(perDay, entryGroup.AsSpan(0, e), entryDay, entryIndex, groupCount, visitorCount);
        ArrayPool<int>.Shared.Return(entryGroup);
        ArrayPool<int>.Shared.Return(entryDay);
        ArrayPool<int>.Shared.Return(entryIndex);
        var rowsOut = new List<object?[]>();
        for (var g = 0; g < groupCount; g++)
        {
            if (visits[g] == 0 && source != Source.None)
            {
                continue;
            }

            var row = new object?[query.Dimensions.Count + query.Metrics.Count];
            if (source != Source.None)
            {
                row[0] = source == Source.Time ? buckets[g] : g == 0 ? null : site.ValueOf(g - 1);
            }

            for (var m = 0; m < query.Metrics.Count; m++)
            {
                row[query.Dimensions.Count + m] = query.Metrics[m] switch
                {
                    StatsMetric.Visitors => visitors[g],
                    StatsMetric.Visits => visits[g],
                    StatsMetric.Pageviews => pageviews[g],
                    StatsMetric.Events => events[g],
                    StatsMetric.ViewsPerVisit => visits[g] == 0 ? 0.0 : RoundTo2((double)pageviews[g] / visits[g]),
                    StatsMetric.BounceRate => visits[g] == 0 ? 0L : (long)Math.Round(100.0 * bounces[g] / visits[g], MidpointRounding.AwayFromZero),
                    StatsMetric.VisitDuration => visits[g] == 0 ? 0L : (long)Math.Round(duration[g] / visits[g], MidpointRounding.AwayFromZero),
                    _ => throw new ArgumentOutOfRangeException(nameof(query), "conversion_rate is computed by SQL"),
                };
            }

            rowsOut.Add(row);
        }

        if (source != Source.None)
        {
            rowsOut.Sort(new RowOrder(query));
        }

        return paginate ? [.. rowsOut.Skip(query.Offset).Take(query.Limit)] : rowsOut;
    }

    /// <summary>As DuckDB's <c>round(x, 2)</c>: scaled, rounded half away from zero, scaled back.</summary>
    private static double RoundTo2(double value) => Math.Round(value * 100, MidpointRounding.AwayFromZero) / 100;

    /// <summary>The bucket of each day of the range, and the buckets' labels as the SQL writes them.</summary>
    private static int[] TimeBuckets(string unit, DateOnly firstDay, int dayCount, List<string> labels)
    {
        var bucketOfDay = new int[dayCount];
        string? previous = null;
        for (var d = 0; d < dayCount; d++)
        {
            var start = RetentionQuery.PeriodOf(firstDay.AddDays(d), unit switch
            {
                "day" => RetentionPeriod.Day,
                "week" => RetentionPeriod.Week,
                _ => RetentionPeriod.Month,
            });
            var label = start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            if (label != previous)
            {
                labels.Add(label);
                previous = label;
            }

            bucketOfDay[d] = labels.Count - 1;
        }

        return bucketOfDay;
    }

    /// <summary>
    /// Distinct visitors per group, from the (day, group) entries of each: the entries bucketed by group (a counting
    /// sort), then a group of one entry counts its day's distinct visitors, and a group of several marks theirs in one
    /// bitmap of the site's visitors, counted and cleared again.
    /// </summary>
    private static long[] DistinctVisitors(DayGroups[] perDay, ReadOnlySpan<int> entryGroup, int[] entryDay, int[] entryIndex, int groupCount, int visitorCount)
    {
        var start = new int[groupCount + 1];
        foreach (var g in entryGroup)
        {
            start[g + 1]++;
        }

        for (var g = 0; g < groupCount; g++)
        {
            start[g + 1] += start[g];
        }

        var sortedArray = ArrayPool<int>.Shared.Rent(entryGroup.Length);
        var sorted = sortedArray.AsSpan(0, entryGroup.Length);
        var next = start[..groupCount];
        for (var e = 0; e < entryGroup.Length; e++)
        {
            sorted[next[entryGroup[e]]++] = e;
        }

        var words = (visitorCount + 64) >> 6;
        var bitsArray = ArrayPool<ulong>.Shared.Rent(words);
        var bits = bitsArray.AsSpan(0, words);
        bits.Clear();
        var counts = new long[groupCount];
        for (var g = 0; g < groupCount; g++)
        {
            var members = sorted[start[g]..start[g + 1]];
            if (members.Length == 1)
            {
                var groups = perDay[entryDay[members[0]]];
                var i = entryIndex[members[0]];
                counts[g] = groups.VisitorStarts[i + 1] - groups.VisitorStarts[i];
                continue;
            }

            long distinct = 0;
            foreach (var e in members)
            {
                var groups = perDay[entryDay[e]];
                var i = entryIndex[e];
                foreach (var v in groups.Visitors.AsSpan(groups.VisitorStarts[i], groups.VisitorStarts[i + 1] - groups.VisitorStarts[i]))
                {
                    ref var word = ref bits[v >> 6];
                    var mask = 1UL << (v & 63);
                    distinct += (long)((~word & mask) >> (v & 63));
                    word |= mask;
                }
            }

            foreach (var e in members)
            {
                var groups = perDay[entryDay[e]];
                var i = entryIndex[e];
                foreach (var v in groups.Visitors.AsSpan(groups.VisitorStarts[i], groups.VisitorStarts[i + 1] - groups.VisitorStarts[i]))
                {
                    bits[v >> 6] = 0;
                }
            }

            counts[g] = distinct;
        }

        ArrayPool<int>.Shared.Return(sortedArray);
        ArrayPool<ulong>.Shared.Return(bitsArray);
        return counts;
    }

    /// <summary>The SQL's order: the requested keys, else time ascending or the first metric descending; then the dimension ascending; nulls last.</summary>
    private sealed class RowOrder(StatsQuery query) : IComparer<object?[]>
    {
        private readonly (int Column, bool Descending)[] _keys = Keys(query);

        public int Compare(object?[]? x, object?[]? y)
        {
            foreach (var (column, descending) in _keys)
            {
                var a = x![column];
                var b = y![column];
                if (a is null || b is null)
                {
                    if (a is null && b is null)
                    {
                        continue;
                    }

                    return a is null ? 1 : -1;
                }

                var order = a is string sa ? string.CompareOrdinal(sa, (string)b) : Convert.ToDouble(a, CultureInfo.InvariantCulture).CompareTo(Convert.ToDouble(b, CultureInfo.InvariantCulture));
                if (order != 0)
                {
                    return descending ? -order : order;
                }
            }

            return 0;
        }

        private static (int, bool)[] Keys(StatsQuery query)
        {
            var keys = new List<(int, bool)>();
            foreach (var order in query.OrderBy)
            {
                keys.Add((order.Metric is { } metric ? query.Dimensions.Count + IndexOf(query.Metrics, metric) : 0, order.Descending));
            }

            if (query.OrderBy.Count == 0)
            {
                keys.Add(query.Dimensions[0].IsTime ? (0, false) : (1, true));
            }

            keys.Add((0, false));
            return [.. keys];
        }

        private static int IndexOf(IReadOnlyList<StatsMetric> metrics, StatsMetric metric)
        {
            for (var i = 0; i < metrics.Count; i++)
            {
                if (metrics[i] == metric)
                {
                    return i;
                }
            }

            throw new ArgumentException($"the query orders by {StatsSql.MetricName(metric)}, which it does not ask for", nameof(metric));
        }
    }
}
