using Microsoft.Extensions.Logging;

namespace Weir.Log.Logging;

/// <summary>
/// The log's messages, source-generated, with stable event ids in the log's block (3000–3999, see
/// Weir.Core.Logging.LogEventRanges). Add new ones at the end and never reuse an id. Nothing here is logged per record.
/// </summary>
internal static partial class LogMessages
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information,
        Message = "Log opened at {Directory}: {Segments} segments, {Records} records, positions {Start}..{End}, recovered in {ElapsedMs} ms")]
    public static partial void Opened(ILogger logger, string directory, int segments, long records, long start, long end, long elapsedMs);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning,
        Message = "Torn tail: cut {Bytes} bytes off '{File}' at offset {Offset} (an incomplete last write; nothing acknowledged was lost)")]
    public static partial void TornTailTruncated(ILogger logger, string file, long offset, long bytes);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error,
        Message = "Salvage: {Corruption}. Kept the records before it and moved {Bytes} bytes aside to {Files}")]
    public static partial void Salvaged(ILogger logger, string corruption, long bytes, string files);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "Segment '{File}' started at position {Position}")]
    public static partial void SegmentStarted(ILogger logger, string file, long position);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error,
        Message = "The log's disk is full: {Records} records at positions {Start}..{End} were not made durable and failed; the next flush retries")]
    public static partial void DiskFull(ILogger logger, int records, long start, long end, Exception exception);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "The log's disk has space again; appends are durable again")]
    public static partial void DiskSpaceRecovered(ILogger logger);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Critical,
        Message = "The log failed during {Operation} and accepts no more appends; it is never retried (an fsync that failed may have dropped data). Check the disk, then restart")]
    public static partial void Failed(ILogger logger, string operation, Exception exception);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "Archived segment '{File}' to '{Archive}' ({Bytes} bytes compressed)")]
    public static partial void SegmentArchived(ILogger logger, string file, string archive, long bytes);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Information, Message = "Deleted segment '{File}': every consumer has passed position {End}")]
    public static partial void SegmentDeleted(ILogger logger, string file, long end);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Error, Message = "Retention failed; it is tried again after the next checkpoint")]
    public static partial void RetentionFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning,
        Message = "Consumer '{Consumer}' had a checkpoint at {Position}, past the end of the salvaged log; it now starts at {End}")]
    public static partial void CheckpointClamped(ILogger logger, string consumer, long position, long end);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "Log closed at position {End}: {Records} records in {Fsyncs} fsyncs since it opened")]
    public static partial void Closed(ILogger logger, long end, long records, long fsyncs);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Information,
        Message = "Erasure: {Erased} of {Scanned} records replaced by tombstones; {Rewritten} of {Files} files rewritten in {ElapsedMs} ms")]
    public static partial void Erased(ILogger logger, long erased, long scanned, int rewritten, int files, long elapsedMs);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Debug, Message = "Erasure rewrote '{File}': {Records} records replaced by tombstones")]
    public static partial void FileErased(ILogger logger, string file, int records);
}
