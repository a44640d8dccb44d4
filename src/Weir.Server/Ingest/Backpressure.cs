using Weir.Log;

namespace Weir.Server.Ingest;

/// <summary>
/// Decides, before a request is read, whether ingest can take it: never by dropping what it acknowledged, but by
/// answering 503 while the log cannot keep up, the disk is nearly full or the log has failed.
/// </summary>
internal sealed class Backpressure(DurableLog log, string dataDirectory, IngestServerOptions options, TimeProvider time)
{
    // Room for one group-commit buffer: less than that and a retried write would fail again at once.
    private const long RetryAfterDiskFullBytes = 4L << 20;

    private long _nextDiskCheck;
    private long _freeBytes = long.MaxValue;

    /// <summary>The reason to refuse, as a metric label and message, or null to go ahead.</summary>
    public (string Reason, string Message)? Check()
    {
        switch (log.State)
        {
            case LogState.Failed:
                return ("log_failed", "the event log has failed and takes no more events until the server is restarted");
            case LogState.DiskFull when FreeDiskBytes(refresh: true) < RetryAfterDiskFullBytes:
                // The log retries its write with the next append, so requests go through again as soon as the
                // file system has room; until then they are refused here without touching the disk.
                return ("disk_full", "the disk is full; events are accepted again once space is freed");
            case LogState.Disposed:
                return ("stopping", "the server is stopping");
        }

        if (log.BacklogBytes > options.MaxBacklogBytes)
        {
            return ("backlog", "too many events are waiting to be loaded; try again shortly");
        }

        if (options.MinFreeDiskBytes > 0 && FreeDiskBytes() < options.MinFreeDiskBytes)
        {
            return ("disk_low", "the data folder's disk is almost full");
        }

        return null;
    }

    private long FreeDiskBytes(bool refresh = false)
    {
        var now = time.GetTimestamp();
        if (refresh || now >= Volatile.Read(ref _nextDiskCheck))
        {
            Volatile.Write(ref _nextDiskCheck, now + (long)(options.DiskCheckInterval.TotalSeconds * time.TimestampFrequency));
            try
            {
                Volatile.Write(ref _freeBytes, new DriveInfo(dataDirectory).AvailableFreeSpace);
            }
            catch (IOException)
            {
                // An unreadable file system is not a reason to refuse: the log itself reports a full or failed disk.
                Volatile.Write(ref _freeBytes, long.MaxValue);
            }
        }

        return Volatile.Read(ref _freeBytes);
    }
}
