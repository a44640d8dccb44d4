using Microsoft.Extensions.Logging;

namespace Weir.Client.Logging;

/// <summary>
/// The client's log events, under the category <c>Weir.Client</c>. Ids are stable: 1–9 for events the caller
/// made, 10–19 for delivery, 20–29 for shutdown. Nothing is logged per event sent.
/// </summary>
internal static partial class Log
{
    public const string Category = "Weir.Client";

    [LoggerMessage(EventId = 1, EventName = "QueueFull", Level = LogLevel.Warning,
        Message = "The queue holds its {Capacity} events: new events are dropped until the server takes some (logged once each time the queue fills)")]
    public static partial void QueueFull(ILogger logger, int capacity);

    [LoggerMessage(EventId = 2, EventName = "EventTooLarge", Level = LogLevel.Warning,
        Message = "A {Type} event of {Bytes} bytes is over the {Limit}-byte limit and is dropped")]
    public static partial void EventTooLarge(ILogger logger, string type, int bytes, int limit);

    [LoggerMessage(EventId = 3, EventName = "EventInvalid", Level = LogLevel.Warning,
        Message = "A {Type} event could not be written as JSON and is dropped")]
    public static partial void EventInvalid(ILogger logger, string type, Exception exception);

    [LoggerMessage(EventId = 10, EventName = "BatchRejected", Level = LogLevel.Error,
        Message = "The server refused a batch of {Count} events with {Status} ({Code}, field {Field}): {Error}. The events are dropped")]
    public static partial void BatchRejected(ILogger logger, int count, int status, string? code, string? field, string? error);

    [LoggerMessage(EventId = 11, EventName = "EventsRejected", Level = LogLevel.Warning,
        Message = "The server accepted {Accepted} events of a batch and refused {Rejected}, which are dropped; the first: {Field} {Code}: {Error}")]
    public static partial void EventsRejected(ILogger logger, int accepted, int rejected, string? field, string? code, string? error);

    [LoggerMessage(EventId = 12, EventName = "SendFailed", Level = LogLevel.Warning,
        Message = "Sending {Count} events failed ({Reason}); retry {Retry} of {MaxRetries} in {Delay}")]
    public static partial void SendFailed(ILogger logger, int count, string reason, int retry, int maxRetries, TimeSpan delay);

    [LoggerMessage(EventId = 13, EventName = "RetriesExhausted", Level = LogLevel.Error,
        Message = "Sending {Count} events failed {Attempts} times, the last time with {Reason}; the events are dropped")]
    public static partial void RetriesExhausted(ILogger logger, int count, int attempts, string reason);

    [LoggerMessage(EventId = 20, EventName = "UndeliveredAtShutdown", Level = LogLevel.Error,
        Message = "{Count} events were still undelivered when the client stopped (dispose timeout {Timeout}) and are dropped")]
    public static partial void UndeliveredAtShutdown(ILogger logger, long count, TimeSpan timeout);

    [LoggerMessage(EventId = 21, EventName = "SenderFailed", Level = LogLevel.Critical,
        Message = "The client's sender stopped on an unexpected error; events are dropped from now on")]
    public static partial void SenderFailed(ILogger logger, Exception exception);
}
