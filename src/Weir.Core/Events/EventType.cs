namespace Weir.Core.Events;

/// <summary>The kind of an event: the <c>type</c> column. The names are Segment's call names.</summary>
public enum EventType
{
    Track,
    Page,
    Screen,
    Identify,
    Group,
    Alias,
}

/// <summary>The protocol an event arrived by: the <c>protocol</c> column.</summary>
public enum EventProtocol
{
    /// <summary>The Segment HTTP Tracking API (<c>/v1/…</c>), used by the Segment SDKs, RudderStack's and Jitsu's.</summary>
    Segment,

    /// <summary>The tracking pixel, <c>GET /p.gif</c>.</summary>
    Pixel,

    /// <summary>Weir's own browser tracker (<c>/js/weir.js</c>).</summary>
    Tracker,

    /// <summary>Plausible's <c>/api/event</c>.</summary>
    Plausible,

    /// <summary>PostHog's capture endpoints.</summary>
    Posthog,

    /// <summary>Weir's .NET SDK.</summary>
    Sdk,
}

/// <summary>The wire names of <see cref="EventType"/> and <see cref="EventProtocol"/>, as UTF-8 and as strings.</summary>
public static class EventNames
{
    /// <summary>The lower-case name of a type, as in the record and the <c>type</c> column.</summary>
    public static string Name(this EventType type) => type switch
    {
        EventType.Track => "track",
        EventType.Page => "page",
        EventType.Screen => "screen",
        EventType.Identify => "identify",
        EventType.Group => "group",
        EventType.Alias => "alias",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>The lower-case name of a protocol, as in the record and the <c>protocol</c> column.</summary>
    public static string Name(this EventProtocol protocol) => protocol switch
    {
        EventProtocol.Segment => "segment",
        EventProtocol.Pixel => "pixel",
        EventProtocol.Tracker => "tracker",
        EventProtocol.Plausible => "plausible",
        EventProtocol.Posthog => "posthog",
        EventProtocol.Sdk => "sdk",
        _ => throw new ArgumentOutOfRangeException(nameof(protocol)),
    };

    /// <summary>Reads a type name (exact, lower case) from UTF-8.</summary>
    public static bool TryParseType(ReadOnlySpan<byte> utf8, out EventType type)
    {
        switch (utf8.Length)
        {
            case 4 when utf8.SequenceEqual("page"u8):
                type = EventType.Page;
                return true;
            case 5 when utf8.SequenceEqual("track"u8):
                type = EventType.Track;
                return true;
            case 5 when utf8.SequenceEqual("group"u8):
                type = EventType.Group;
                return true;
            case 5 when utf8.SequenceEqual("alias"u8):
                type = EventType.Alias;
                return true;
            case 6 when utf8.SequenceEqual("screen"u8):
                type = EventType.Screen;
                return true;
            case 8 when utf8.SequenceEqual("identify"u8):
                type = EventType.Identify;
                return true;
            default:
                type = default;
                return false;
        }
    }

    /// <summary>Reads a protocol name (exact, lower case) from UTF-8.</summary>
    public static bool TryParseProtocol(ReadOnlySpan<byte> utf8, out EventProtocol protocol)
    {
        for (var p = EventProtocol.Segment; p <= EventProtocol.Sdk; p++)
        {
            if (p.Utf8Name().SequenceEqual(utf8))
            {
                protocol = p;
                return true;
            }
        }

        protocol = default;
        return false;
    }

    /// <summary>The name of a type as UTF-8.</summary>
    public static ReadOnlySpan<byte> Utf8Name(this EventType type) => type switch
    {
        EventType.Track => "track"u8,
        EventType.Page => "page"u8,
        EventType.Screen => "screen"u8,
        EventType.Identify => "identify"u8,
        EventType.Group => "group"u8,
        _ => "alias"u8,
    };

    /// <summary>The name of a protocol as UTF-8.</summary>
    public static ReadOnlySpan<byte> Utf8Name(this EventProtocol protocol) => protocol switch
    {
        EventProtocol.Segment => "segment"u8,
        EventProtocol.Pixel => "pixel"u8,
        EventProtocol.Tracker => "tracker"u8,
        EventProtocol.Plausible => "plausible"u8,
        EventProtocol.Posthog => "posthog"u8,
        _ => "sdk"u8,
    };
}
