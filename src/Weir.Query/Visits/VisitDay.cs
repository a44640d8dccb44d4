namespace Weir.Query.Visits;

/// <summary>
/// One local day of a site's sessions, summarised: per session its visitor, bounce flag, duration, counts and visit
/// attributes, and per session and page path (or event name) its page views and events. Strings are ids into the
/// site's <see cref="SiteVisits"/> pool (-1 for null). Immutable once built.
/// </summary>
internal sealed class VisitDay(string? version) : ISummarisedDay
{
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

    /// <summary>Per session and path, page views and events (of any type) with that path.</summary>
    public SessionGroups Pages { get; } = new();

    /// <summary>Per session and event name, page views and events of that name.</summary>
    public SessionGroups Names { get; } = new();

    /// <summary>Gives back the lists' spare capacity once the day is built: the day is kept, often for days.</summary>
    public void TrimExcess()
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

        Pages.TrimExcess();
        Names.TrimExcess();
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
