using Weir.Core.Events;

namespace Weir.Ingest.Segment;

/// <summary>The calls of the Segment HTTP Tracking API, one per <c>/v1/{call}</c> path.</summary>
public enum SegmentCall
{
    Track,
    Page,
    Screen,
    Identify,
    Group,
    Alias,
    Batch,
}

/// <summary>Maps URL path segments to <see cref="SegmentCall"/>.</summary>
public static class SegmentCalls
{
    /// <summary>
    /// Reads the last path segment of a Segment endpoint: the long names (<c>track</c>, …, <c>batch</c>,
    /// <c>import</c>) and the one-letter paths analytics.js posts to (<c>t</c>, <c>p</c>, <c>s</c>, <c>i</c>,
    /// <c>g</c>, <c>a</c>, <c>b</c>). Case-sensitive, as Segment's routes are.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> name, out SegmentCall call)
    {
        switch (name)
        {
            case "track" or "t":
                call = SegmentCall.Track;
                return true;
            case "page" or "p":
                call = SegmentCall.Page;
                return true;
            case "screen" or "s":
                call = SegmentCall.Screen;
                return true;
            case "identify" or "i":
                call = SegmentCall.Identify;
                return true;
            case "group" or "g":
                call = SegmentCall.Group;
                return true;
            case "alias" or "a":
                call = SegmentCall.Alias;
                return true;
            case "batch" or "b" or "import":
                call = SegmentCall.Batch;
                return true;
            default:
                call = default;
                return false;
        }
    }

    /// <summary>The event type a single call produces; null for <see cref="SegmentCall.Batch"/>.</summary>
    public static EventType? ToEventType(this SegmentCall call) => call switch
    {
        SegmentCall.Track => EventType.Track,
        SegmentCall.Page => EventType.Page,
        SegmentCall.Screen => EventType.Screen,
        SegmentCall.Identify => EventType.Identify,
        SegmentCall.Group => EventType.Group,
        SegmentCall.Alias => EventType.Alias,
        _ => null,
    };
}
