using System.Buffers;
using System.Runtime.InteropServices;

namespace Weir.Query.Visits;

/// <summary>
/// One local day of a site's sessions, summarised: per session its visitor, bounce flag, duration, counts and visit
/// attributes; and the day's sessions grouped by page path, by event name, by each visit attribute and all together
/// (<see cref="DayGroups"/>), the first two built with the day, the others when a report first asks. Strings are ids
/// into the site's <see cref="SiteVisits"/> pool (-1 for null). Immutable once sealed.
/// </summary>
internal sealed class VisitDay(string? version) : ISummarisedDay
{
    /// <summary>Per visit column and one more for all sessions together: the groups built so far.</summary>
    private readonly DayGroups?[] _groups = new DayGroups?[VisitColumns.Count + 1];

    /// <summary>The versions of the day's partitions it was built from; null when built from rows still changing.</summary>
    public string? Version { get; } = version;

    public int Count => Visitor.Count;

    public List<int> Visitor { get; } = [];

    public List<bool> Bounce { get; } = [];

    public List<double> Duration { get; } = [];

    public List<int> Pageviews { get; } = [];

    public List<int> Events { get; } = [];

    /// <summary>Per visit column (<see cref="VisitColumns"/>), the value id of each session.</summary>
    public List<int>[] Attributes { get; } = [.. Enumerable.Range(0, VisitColumns.Count).Select(_ => new List<int>())];

    /// <summary>While the day is built: per session and path, page views and events (of any type) with that path.</summary>
    public SessionGroups PageRows { get; private set; } = new();

    /// <summary>While the day is built: per session and event name, page views and events of that name.</summary>
    public SessionGroups NameRows { get; private set; } = new();

    /// <summary>The sessions grouped by the paths of their events.</summary>
    public DayGroups PageGroups { get; private set; } = DayGroups.Empty;

    /// <summary>The sessions grouped by the names of their events.</summary>
    public DayGroups NameGroups { get; private set; } = DayGroups.Empty;

    /// <summary>
    /// Groups the rows by path and by name and gives back the lists' spare capacity: the day is kept, often for days.
    /// Call under the site's lock.
    /// </summary>
    public void Seal(SiteVisits site)
    {
        Visitor.TrimExcess();
        Bounce.TrimExcess();
        Duration.TrimExcess();
        Pageviews.TrimExcess();
        Events.TrimExcess();
        foreach (var attribute in Attributes)
        {
            attribute.TrimExcess();
        }

        PageGroups = DayGroups.Build(this, site, PageRows.Session, PageRows.Value, PageRows.PageviewCounts, PageRows.EventCounts);
        NameGroups = DayGroups.Build(this, site, NameRows.Session, NameRows.Value, NameRows.PageviewCounts, NameRows.EventCounts);
        PageRows = new SessionGroups();
        NameRows = new SessionGroups();
    }

    /// <summary>The sessions grouped by visit column <paramref name="attribute"/>, or all in one group for -1.</summary>
    public DayGroups GroupsOf(int attribute, SiteVisits site)
    {
        var slot = attribute + 1;
        if (Volatile.Read(ref _groups[slot]) is { } built)
        {
            return built;
        }

        lock (site)
        {
            if (_groups[slot] is { } raced)
            {
                return raced;
            }

            var count = Count;
            var sessions = ArrayPool<int>.Shared.Rent(count);
            var none = attribute < 0 ? ArrayPool<int>.Shared.Rent(count) : null;
            for (var s = 0; s < count; s++)
            {
                sessions[s] = s;
            }

            none?.AsSpan(0, count).Fill(-1);
            var values = none is null ? CollectionsMarshal.AsSpan(Attributes[attribute]) : none.AsSpan(0, count);
            var groups = DayGroups.Build(this, site, sessions.AsSpan(0, count), values, CollectionsMarshal.AsSpan(Pageviews), CollectionsMarshal.AsSpan(Events));
            ArrayPool<int>.Shared.Return(sessions);
            if (none is not null)
            {
                ArrayPool<int>.Shared.Return(none);
            }

            Volatile.Write(ref _groups[slot], groups);
            return groups;
        }
    }
}

/// <summary>
/// A day's sessions grouped by a value (a path, a name, a visit attribute, or nothing): per group the value, the sums of
/// its sessions' visits, bounces, durations, page views and events, and its distinct visitors. A session counts once
/// in each group it has a contribution in. Every sum adds up over days; the visitors are united across days.
/// </summary>
internal sealed class DayGroups
{
    public static DayGroups Empty { get; } = new([], [], [], [], [], [], [0], []);

    private DayGroups(int[] values, int[] visits, int[] bounces, double[] duration, long[] pageviews, long[] events, int[] visitorStarts, int[] visitors)
    {
        Values = values;
        Visits = visits;
        Bounces = bounces;
        Duration = duration;
        Pageviews = pageviews;
        Events = events;
        VisitorStarts = visitorStarts;
        Visitors = visitors;
    }

    public int Count => Values.Length;

    /// <summary>The value id of each group; -1 for null.</summary>
    public int[] Values { get; }

    public int[] Visits { get; }

    public int[] Bounces { get; }

    public double[] Duration { get; }

    public long[] Pageviews { get; }

    public long[] Events { get; }

    /// <summary>Where each group's visitors begin in <see cref="Visitors"/>, and (last) where they end.</summary>
    public int[] VisitorStarts { get; }

    /// <summary>Each group's distinct visitors, group after group.</summary>
    public int[] Visitors { get; }

    /// <summary>
    /// Groups contributions (a session, a value, the page views and events it brings to that value) by value. Each
    /// session appears at most once per value. Call under the site's lock: it borrows the site's scratch arrays.
    /// </summary>
    public static DayGroups Build(VisitDay day, SiteVisits site, ReadOnlySpan<int> session, ReadOnlySpan<int> value, ReadOnlySpan<int> pageviews, ReadOnlySpan<int> events)
    {
        var n = session.Length;
        if (n == 0)
        {
            return Empty;
        }

        // Groups in the order their values first appear; slotOf (value id + 1 → group) is left as it was found: all -1.
        var slotOf = site.ValueSlots();
        var values = new List<int>();
        var local = ArrayPool<int>.Shared.Rent(n);
        var sizes = new List<int>();
        for (var i = 0; i < n; i++)
        {
            ref var slot = ref slotOf[value[i] + 1];
            if (slot < 0)
            {
                slot = values.Count;
                values.Add(value[i]);
                sizes.Add(0);
            }

            local[i] = slot;
            sizes[slot]++;
        }

        foreach (var v in values)
        {
            slotOf[v + 1] = -1;
        }

        var groups = values.Count;
        var starts = new int[groups + 1];
        for (var g = 0; g < groups; g++)
        {
            starts[g + 1] = starts[g] + sizes[g];
        }

        var order = ArrayPool<int>.Shared.Rent(n);
        var next = starts[..groups];
        for (var i = 0; i < n; i++)
        {
            order[next[local[i]]++] = i;
        }

        ArrayPool<int>.Shared.Return(local);
        var visits = new int[groups];
        var bounces = new int[groups];
        var duration = new double[groups];
        var pageviewSums = new long[groups];
        var eventSums = new long[groups];
        var visitorStarts = new int[groups + 1];
        var visitors = new int[n];
        var kept = 0;
        var dayVisitors = CollectionsMarshal.AsSpan(day.Visitor);
        var dayBounces = CollectionsMarshal.AsSpan(day.Bounce);
        var dayDurations = CollectionsMarshal.AsSpan(day.Duration);

        // stamp[visitor] = group + 1 once the visitor is in the group: distinct in one pass, and left all 0 again.
        var stamp = site.VisitorStamps();
        for (var g = 0; g < groups; g++)
        {
            visitorStarts[g] = kept;
            for (var j = starts[g]; j < starts[g + 1]; j++)
            {
                var i = order[j];
                var s = session[i];
                visits[g]++;
                bounces[g] += dayBounces[s] ? 1 : 0;
                duration[g] += dayDurations[s];
                pageviewSums[g] += pageviews[i];
                eventSums[g] += events[i];
                var v = dayVisitors[s];
                if (stamp[v] != g + 1)
                {
                    stamp[v] = g + 1;
                    visitors[kept++] = v;
                }
            }
        }

        visitorStarts[groups] = kept;
        foreach (var v in visitors.AsSpan(0, kept))
        {
            stamp[v] = 0;
        }

        ArrayPool<int>.Shared.Return(order);
        Array.Resize(ref visitors, kept);
        return new DayGroups([.. values], visits, bounces, duration, pageviewSums, eventSums, visitorStarts, visitors);
    }
}

/// <summary>A local day summarised from a site's events, cached while <see cref="Version"/> stays the day's.</summary>
internal interface ISummarisedDay
{
    /// <summary>The versions of the day's partitions it was built from; null when built from rows still changing.</summary>
    string? Version { get; }
}

/// <summary>Rows of (session, value, page views, events), one per distinct value of a session.</summary>
internal sealed class SessionGroups
{
    private int[] _session = new int[16];
    private int[] _value = new int[16];
    private int[] _pageviews = new int[16];
    private int[] _events = new int[16];

    public int Count { get; private set; }

    public ReadOnlySpan<int> Session => _session.AsSpan(0, Count);

    public ReadOnlySpan<int> Value => _value.AsSpan(0, Count);

    public ReadOnlySpan<int> PageviewCounts => _pageviews.AsSpan(0, Count);

    public ReadOnlySpan<int> EventCounts => _events.AsSpan(0, Count);

    public void TrimExcess()
    {
        Array.Resize(ref _session, Count);
        Array.Resize(ref _value, Count);
        Array.Resize(ref _pageviews, Count);
        Array.Resize(ref _events, Count);
    }

    public void Add(int session, int value, int pageviews, int events)
    {
        if (Count == _session.Length)
        {
            var size = Math.Max(16, Count * 2);
            Array.Resize(ref _session, size);
            Array.Resize(ref _value, size);
            Array.Resize(ref _pageviews, size);
            Array.Resize(ref _events, size);
        }

        _session[Count] = session;
        _value[Count] = value;
        _pageviews[Count] = pageviews;
        _events[Count] = events;
        Count++;
    }
}

/// <summary>The session columns the <c>visit:</c> dimensions read, in a fixed order.</summary>
internal static class VisitColumns
{
    public static IReadOnlyList<string> All { get; } = [.. Stats.StatsDimension.Visits.Select(d => d.Column)];

    public static int Count => All.Count;

    public static int IndexOf(string column)
    {
        for (var i = 0; i < All.Count; i++)
        {
            if (All[i] == column)
            {
                return i;
            }
        }

        throw new ArgumentException($"'{column}' is not a visit column", nameof(column));
    }
}
