using Microsoft.Extensions.Logging;

namespace Weir.Lake.Logging;

/// <summary>
/// The lake's messages, source-generated, in the lake's block of event ids (4000–4999, see
/// Weir.Core.Logging.LogEventRanges). Add new ones at the end and never reuse an id. Nothing here is logged per event.
/// </summary>
internal static partial class LakeLog
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information,
        Message = "Lake opened at {Directory}: {Files} files, watermark {Watermark}, {DedupIds} ids in the de-duplication window, {OrphansRemoved} leftover files removed")]
    public static partial void Opened(ILogger logger, string directory, int files, long watermark, int dedupIds, int orphansRemoved);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information,
        Message = "Flushed {Rows} rows to {Files} files ({Bytes} bytes), log positions {Start}..{End}, in {ElapsedMs} ms")]
    public static partial void Flushed(ILogger logger, long rows, int files, long bytes, long start, long end, long elapsedMs);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning,
        Message = "Skipped the record at log position {Position}, which cannot be loaded: {Reason} It stays in the log and the raw zone")]
    public static partial void RecordRejected(ILogger logger, long position, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "The loader failed and will retry in {DelayMs} ms")]
    public static partial void LoaderFailed(ILogger logger, long delayMs, Exception exception);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information,
        Message = "Compacted {Partitions} partitions: {FilesIn} files into {FilesOut}, {DuplicatesDropped} duplicates dropped, in {ElapsedMs} ms")]
    public static partial void Compacted(ILogger logger, int partitions, int filesIn, int filesOut, long duplicatesDropped, long elapsedMs);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Error, Message = "Lake maintenance failed: {Task}")]
    public static partial void MaintenanceFailed(ILogger logger, string task, Exception exception);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Information,
        Message = "Retention dropped {Partitions} partitions ({Rows} rows)")]
    public static partial void RetentionApplied(ILogger logger, int partitions, long rows);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Information,
        Message = "Erasure {JobId} finished: {LakeRows} rows removed from {Files} files, {LogRecords} records erased from the log and the raw zone")]
    public static partial void ErasureCompleted(ILogger logger, string jobId, long lakeRows, int files, long logRecords);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Error, Message = "Erasure {JobId} failed; it is retried at the next start")]
    public static partial void ErasureFailed(ILogger logger, string jobId, Exception exception);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Warning,
        Message = "The lake starts at log position {Watermark}, but the log keeps records only from {Oldest}: the records in between are in the raw zone only. Run 'weir replay' (with the server stopped) to load them")]
    public static partial void RecordsOnlyInRawZone(ILogger logger, long watermark, long oldest);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Information,
        Message = "Imported {Rows} rows into {Files} files ({Bytes} bytes), outside the log, in {ElapsedMs} ms")]
    public static partial void Imported(ILogger logger, long rows, int files, long bytes, long elapsedMs);
}
