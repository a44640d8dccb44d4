namespace Weir.Client.Events;

/// <summary>The Segment calls the client makes; each decides the names of its one text field and its one object.</summary>
internal enum EventType
{
    Track,
    Page,
    Identify,
    Group,
    Alias,
}

internal static class EventTypes
{
    public static ReadOnlySpan<byte> Name(EventType type) => type switch
    {
        EventType.Track => "track"u8,
        EventType.Page => "page"u8,
        EventType.Identify => "identify"u8,
        EventType.Group => "group"u8,
        _ => "alias"u8,
    };

    /// <summary>Where the call's text argument goes: track's event, page's name, group's groupId, alias's previousId.</summary>
    public static ReadOnlySpan<byte> TextField(EventType type) => type switch
    {
        EventType.Track => "event"u8,
        EventType.Page => "name"u8,
        EventType.Group => "groupId"u8,
        EventType.Alias => "previousId"u8,
        _ => default,
    };

    /// <summary>Where the call's dictionary goes: properties for track and page, traits for identify and group.</summary>
    public static ReadOnlySpan<byte> ObjectField(EventType type) => type switch
    {
        EventType.Track or EventType.Page => "properties"u8,
        EventType.Identify or EventType.Group => "traits"u8,
        _ => default,
    };
}
