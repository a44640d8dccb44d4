using System.Buffers;
using Weir.Query.Funnels;

namespace Weir.Query.Visits;

/// <summary>
/// A funnel from the days of <see cref="VisitEvents"/>, by the rules <see cref="FunnelSql"/> follows (docs/query.md
/// "Funnels"): every first-step event starts an attempt, which takes for each next step the earliest matching event
/// after the previous step's, within the window of the first (in strict order: the very next event); a visitor counts
/// with the attempt that got furthest, the earliest of those on a tie. It gives the counts and medians the SQL would.
/// Breakdowns and property conditions go to SQL.
/// </summary>
internal static class VisitFunnel
{
    public static bool Supports(FunnelQuery query)
    {
        if (query.Breakdown is not null || query.Steps.Count > 8)
        {
            return false;
        }

        foreach (var step in query.Steps)
        {
            if (step.Properties.Count > 0 || (step.PagePattern is null && step.EventName is null))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Visitors per step, and the median seconds from the previous step (null for the first, or when none got there).</summary>
    /// <param name="query">The funnel; <see cref="Supports"/> it.</param>
    /// <param name="site">The pools the days' ids point into.</param>
    /// <param name="days">Every local day of the query's range, in order.</param>
    /// <param name="globMatches">Per page pattern, which value ids it matches (<see cref="VisitStore.GlobMatches"/>).</param>
    public static (long[] Visitors, double?[] Medians) Run(FunnelQuery query, SiteVisits site, ReadOnlySpan<VisitEvents> days, Func<string, bool[]> globMatches)
    {
        var n = query.Steps.Count;
        int visitorCount, valueCount;
        var nameIds = new int[n];
        lock (site)
        {
            visitorCount = site.VisitorCount;
            valueCount = site.ValueCount;
            for (var k = 0; k < n; k++)
            {
                nameIds[k] = query.Steps[k].EventName is { } name && site.TryGetValueId(name, out var id) ? id : -1;
            }
        }

        // Which steps each path (as a page view) and each event name matches, one bit per step.
        var pageSteps = ArrayPool<byte>.Shared.Rent(valueCount + 1);
        var nameSteps = ArrayPool<byte>.Shared.Rent(valueCount + 1);
        pageSteps.AsSpan().Clear();
        nameSteps.AsSpan().Clear();
        for (var k = 0; k < n; k++)
        {
            var bit = (byte)(1 << k);
            if (query.Steps[k].PagePattern is { } pattern)
            {
                var matches = globMatches(pattern);
                for (var id = 0; id < valueCount; id++)
                {
                    if (matches[id])
                    {
                        pageSteps[id] |= bit;
                    }
                }
            }
            else if (nameIds[k] >= 0)
            {
                nameSteps[nameIds[k]] |= bit;
            }
        }

        // Each visitor's events over all the days, one run per visitor: a counting sort by visitor that keeps the days'
        // order. In loose order only the events that match some step matter; in strict order every event does, as
        // one that matches nothing breaks the chain.
        var strict = query.StrictOrder;
        var total = 0;
        foreach (var day in days)
        {
            total += day.EventCount;
        }

        var eventSteps = ArrayPool<byte>.Shared.Rent(total);
        var starts = ArrayPool<int>.Shared.Rent(visitorCount + 1);
        starts.AsSpan(0, visitorCount + 1).Clear();
        var at = 0;
        foreach (var day in days)
        {
            var pages = day.Pages;
            var names = day.Names;
            var visitors = day.Visitors;
            var dayStarts = day.Starts;
            for (var j = 0; j < visitors.Length; j++)
            {
                var kept = 0;
                for (var e = dayStarts[j]; e < dayStarts[j + 1]; e++)
                {
                    var page = pages[e];
                    var name = names[e];
                    var steps = (byte)((page >= 0 ? pageSteps[page] : 0) | (name >= 0 ? nameSteps[name] : 0));
                    eventSteps[at++] = steps;
                    kept += strict || steps != 0 ? 1 : 0;
                }

                starts[visitors[j] + 1] += kept;
            }
        }

        for (var v = 0; v < visitorCount; v++)
        {
            starts[v + 1] += starts[v];
        }

        var keptEvents = starts[visitorCount];
        var times = ArrayPool<long>.Shared.Rent(Math.Max(keptEvents, 1));
        var masks = ArrayPool<byte>.Shared.Rent(Math.Max(keptEvents, 1));
        var next = ArrayPool<int>.Shared.Rent(visitorCount);
        starts.AsSpan(0, visitorCount).CopyTo(next);
        at = 0;
        foreach (var day in days)
        {
            var dayTimes = day.Times;
            var visitors = day.Visitors;
            var dayStarts = day.Starts;
            for (var j = 0; j < visitors.Length; j++)
            {
                ref var position = ref next[visitors[j]];
                for (var e = dayStarts[j]; e < dayStarts[j + 1]; e++)
                {
                    var steps = eventSteps[at++];
                    if (strict || steps != 0)
                    {
                        times[position] = dayTimes[e];
                        masks[position] = steps;
                        position++;
                    }
                }
            }
        }

        ArrayPool<int>.Shared.Return(next);
        ArrayPool<byte>.Shared.Return(eventSteps);
        ArrayPool<byte>.Shared.Return(pageSteps);
        ArrayPool<byte>.Shared.Return(nameSteps);

        var visitorsAt = new long[n];
        var gaps = new GapList[n];
        var window = query.Window.Ticks / TimeSpan.TicksPerMicrosecond;
        Span<long> best = stackalloc long[8];
        Span<long> attempt = stackalloc long[8];
        Span<int> search = stackalloc int[8];
        for (var v = 0; v < visitorCount; v++)
        {
            var start = starts[v];
            var end = starts[v + 1];
            if (start == end)
            {
                continue;
            }

            var depth = Deepest(times, masks, start, end, n, window, strict, best, attempt, search);
            for (var k = 0; k < depth; k++)
            {
                visitorsAt[k]++;
                if (k > 0)
                {
                    gaps[k].Add(best[k] - best[k - 1]);
                }
            }
        }

        ArrayPool<int>.Shared.Return(starts);
        ArrayPool<long>.Shared.Return(times);
        ArrayPool<byte>.Shared.Return(masks);

        var medians = new double?[n];
        for (var k = 1; k < n; k++)
        {
            medians[k] = gaps[k].TakeMedianSeconds();
        }

        return (visitorsAt, medians);
    }

    /// <summary>
    /// The deepest attempt of one visitor, its step times in <paramref name="best"/>; returns its depth (0 when no event
    /// matches the first step). In loose order each step's search only moves forward: an attempt's step k event is the
    /// first match after its step k-1 event, and those only move forward from one attempt to the next. In strict order
    /// the step is the very next event or nothing.
    /// </summary>
    private static int Deepest(long[] times, byte[] masks, int start, int end, int n, long window, bool strict, Span<long> best, Span<long> attempt, Span<int> search)
    {
        var bestDepth = 0;
        search[..n].Fill(start);
        for (var i = start; i < end; i++)
        {
            if ((masks[i] & 1) == 0)
            {
                continue;
            }

            var first = times[i];
            attempt[0] = first;
            var depth = 1;
            var previous = i;
            for (var k = 1; k < n; k++)
            {
                var bit = 1 << k;
                var p = previous + 1;
                if (!strict)
                {
                    p = Math.Max(search[k], p);
                    while (p < end && (masks[p] & bit) == 0)
                    {
                        p++;
                    }

                    search[k] = p;
                }

                if (p == end || (masks[p] & bit) == 0 || times[p] > first + window)
                {
                    break;
                }

                attempt[k] = times[p];
                previous = p;
                depth++;
            }

            if (depth > bestDepth)
            {
                attempt[..depth].CopyTo(best);
                bestDepth = depth;
                if (depth == n)
                {
                    break;
                }
            }
        }

        return bestDepth;
    }

    /// <summary>The microseconds between two steps, per visitor who took both; pooled.</summary>
    private struct GapList
    {
        private long[]? _items;
        private int _count;

        public void Add(long gap)
        {
            if (_items is null || _count == _items.Length)
            {
                var grown = ArrayPool<long>.Shared.Rent(Math.Max(1024, _count * 2));
                _items?.AsSpan(0, _count).CopyTo(grown);
                if (_items is not null)
                {
                    ArrayPool<long>.Shared.Return(_items);
                }

                _items = grown;
            }

            _items[_count++] = gap;
        }

        /// <summary>
        /// The median in seconds rounded to a tenth, as DuckDB's <c>round(median(gap) / 1000000.0, 1)</c> computes it
        /// (the mean of the middle two of an even count); null when empty. Gives the buffer back.
        /// </summary>
        public double? TakeMedianSeconds()
        {
            if (_items is null || _count == 0)
            {
                return null;
            }

            var span = _items.AsSpan(0, _count);
            var middle = _count / 2;
            var high = Select(span, middle);
            double median = high;
            if (_count % 2 == 0)
            {
                // Select left the smaller half before the middle: its largest is the lower middle value.
                var low = long.MinValue;
                foreach (var gap in span[..middle])
                {
                    low = Math.Max(low, gap);
                }

                median = low + ((high - (double)low) * 0.5);
            }

            ArrayPool<long>.Shared.Return(_items);
            _items = null;
            var seconds = median / 1000000.0;
            return Math.Round(seconds * 10, MidpointRounding.AwayFromZero) / 10;
        }

        /// <summary>
        /// Puts the value of rank <paramref name="k"/> at index k, smaller or equal ones before it and larger or equal
        /// ones after (Hoare's selection, middle-of-three pivots), and returns it.
        /// </summary>
        private static long Select(Span<long> values, int k)
        {
            var left = 0;
            var right = values.Length - 1;
            while (left < right)
            {
                var mid = left + ((right - left) / 2);
                var pivot = Median(values[left], values[mid], values[right]);
                var i = left;
                var j = right;
                while (i <= j)
                {
                    while (values[i] < pivot)
                    {
                        i++;
                    }

                    while (values[j] > pivot)
                    {
                        j--;
                    }

                    if (i <= j)
                    {
                        (values[i], values[j]) = (values[j], values[i]);
                        i++;
                        j--;
                    }
                }

                if (k <= j)
                {
                    right = j;
                }
                else if (k >= i)
                {
                    left = i;
                }
                else
                {
                    break;
                }
            }

            return values[k];
        }

        private static long Median(long a, long b, long c) => Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));
    }
}
