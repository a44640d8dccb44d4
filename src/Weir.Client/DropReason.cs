namespace Weir.Client;

/// <summary>Why the client let an event go without the server having accepted it.</summary>
public enum DropReason
{
    /// <summary>The queue held <see cref="WeirClientOptions.QueueCapacity"/> events when the call was made.</summary>
    QueueFull,

    /// <summary>The event's JSON was over <see cref="WeirClientOptions.MaxEventBytes"/>; it was never sent.</summary>
    TooLarge,

    /// <summary>The event could not be written as JSON (a value of an unknown type, a cycle, a collection changed while it was read).</summary>
    InvalidEvent,

    /// <summary>The server refused the event with a 4xx answer other than 408 and 429; sending it again would not help.</summary>
    Rejected,

    /// <summary>The server could not be reached, or kept answering 408, 429 or 5xx, for <see cref="WeirClientOptions.MaxRetries"/> retries.</summary>
    RetriesExhausted,

    /// <summary>The client was disposed: the call came after, or the event was still undelivered when the dispose timeout passed.</summary>
    Shutdown,
}
