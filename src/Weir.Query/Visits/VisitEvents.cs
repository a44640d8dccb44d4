namespace Weir.Query.Visits;

/// <summary>
/// One local day of a site's session events, grouped by visitor and in the order a funnel numbers them (client time,
/// then message id): per event its time in epoch microseconds, the path id when it is a page view and the event name id
/// (-1 when null), ids into the site's <see cref="SiteVisits"/> pool. Immutable once sealed.
/// </summary>
/// <remarks>
/// A local day is a span of time, so a visitor's events over several days are the days' runs one after another.
/// 16 bytes per event: the events of a 10M-event site take 160 MB.
/// </remarks>
internal sealed class VisitEvents(string? version) : ISummarisedDay
{
    private int[] _visitors = new int[16];
    private int[] _starts = new int[17];
    private long[] _times = new long[64];
    private int[] _pages = new int[64];
    private int[] _names = new int[64];

    public string? Version { get; } = version;

    /// <summary>How many visitors have events on the day.</summary>
    public int VisitorCount { get; private set; }

    public int EventCount { get; private set; }

    /// <summary>The day's visitors, each once.</summary>
    public ReadOnlySpan<int> Visitors => _visitors.AsSpan(0, VisitorCount);

    /// <summary>Where each visitor's events begin, and (last) where the events end: <see cref="VisitorCount"/> + 1 entries.</summary>
    public ReadOnlySpan<int> Starts => _starts.AsSpan(0, VisitorCount + 1);

    public ReadOnlySpan<long> Times => _times.AsSpan(0, EventCount);

    /// <summary>The path id of each page view; -1 for other events and page views without a path.</summary>
    public ReadOnlySpan<int> Pages => _pages.AsSpan(0, EventCount);

    /// <summary>The event name id of each event; -1 when it has none.</summary>
    public ReadOnlySpan<int> Names => _names.AsSpan(0, EventCount);

    /// <summary>Begins the events of another visitor; they follow with <see cref="Add"/>.</summary>
    public void StartVisitor(int visitor)
    {
        if (VisitorCount + 1 == _starts.Length)
        {
            Array.Resize(ref _visitors, _visitors.Length * 2);
            Array.Resize(ref _starts, (_starts.Length * 2) - 1);
        }

        _visitors[VisitorCount] = visitor;
        _starts[VisitorCount] = EventCount;
        VisitorCount++;
        _starts[VisitorCount] = EventCount;
    }

    public void Add(long time, int page, int name)
    {
        if (EventCount == _times.Length)
        {
            Array.Resize(ref _times, _times.Length * 2);
            Array.Resize(ref _pages, _pages.Length * 2);
            Array.Resize(ref _names, _names.Length * 2);
        }

        _times[EventCount] = time;
        _pages[EventCount] = page;
        _names[EventCount] = name;
        EventCount++;
        _starts[VisitorCount] = EventCount;
    }

    /// <summary>Gives back the arrays' spare capacity once the day is built: the day is kept, often for days.</summary>
    public void Seal()
    {
        Array.Resize(ref _visitors, VisitorCount);
        Array.Resize(ref _starts, VisitorCount + 1);
        Array.Resize(ref _times, EventCount);
        Array.Resize(ref _pages, EventCount);
        Array.Resize(ref _names, EventCount);
    }
}
