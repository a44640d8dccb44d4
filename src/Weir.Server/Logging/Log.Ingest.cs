using Microsoft.Extensions.Logging;
using Weir.Core.Logging;

namespace Weir.Server.Logging;

/// <summary>Log events of ingest. Ids 2000–2999.</summary>
internal static partial class Log
{
    public static class IngestEvents
    {
        public const int LogOpenedId = LogEventRanges.Ingest + 1;
        public const int DiskFullId = LogEventRanges.Ingest + 2;
        public const int LogFailedId = LogEventRanges.Ingest + 3;
    }

    [LoggerMessage(EventId = IngestEvents.LogOpenedId, EventName = "EventLogOpened", Level = LogLevel.Information,
        Message = "Event log {Directory} open: {Records} records recovered, {TruncatedBytes} bytes of torn tail truncated")]
    public static partial void IngestLogOpened(ILogger logger, string directory, long records, long truncatedBytes);

    [LoggerMessage(EventId = IngestEvents.DiskFullId, EventName = "DiskFull", Level = LogLevel.Warning,
        Message = "The disk is full: ingest answers 503 until space is freed")]
    public static partial void IngestDiskFull(ILogger logger);

    [LoggerMessage(EventId = IngestEvents.LogFailedId, EventName = "EventLogFailed", Level = LogLevel.Critical,
        Message = "The event log failed (a write or fsync returned an I/O error): ingest answers 503 until the server is restarted")]
    public static partial void IngestLogFailed(ILogger logger, Exception? exception);
}
