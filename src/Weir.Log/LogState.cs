namespace Weir.Log;

/// <summary>The health of a <see cref="DurableLog"/>, for readiness checks and backpressure.</summary>
public enum LogState
{
    /// <summary>Appends are being made durable.</summary>
    Healthy,

    /// <summary>The last write hit ENOSPC. Pending appends failed with <see cref="LogFullException"/>; the next flush retries.</summary>
    DiskFull,

    /// <summary>A write or fsync failed with an I/O error. Every append fails with <see cref="LogFailedException"/>, for good.</summary>
    Failed,

    /// <summary>The log has been disposed.</summary>
    Disposed,
}

/// <summary>A snapshot of the log's counters (since it was opened), for metrics.</summary>
public readonly record struct LogStatistics
{
    /// <summary>Records made durable.</summary>
    public long RecordsAppended { get; init; }

    /// <summary>Bytes made durable, frames included.</summary>
    public long BytesAppended { get; init; }

    /// <summary>Successful data syncs (one per group commit).</summary>
    public long Fsyncs { get; init; }

    /// <summary>Appends that failed because the disk was full.</summary>
    public long RecordsRejectedDiskFull { get; init; }

    /// <summary>The end of durable data: every record before this position survives a crash.</summary>
    public long CommittedPosition { get; init; }

    /// <summary>The position the next enqueued record will get.</summary>
    public long TailPosition { get; init; }

    /// <summary>Bytes between the slowest registered consumer's checkpoint and <see cref="CommittedPosition"/>; 0 without consumers.</summary>
    public long BacklogBytes { get; init; }

    /// <summary>Segments currently in the log directory.</summary>
    public int Segments { get; init; }

    /// <summary>The log's state.</summary>
    public LogState State { get; init; }

    /// <summary>Average group size: records per fsync.</summary>
    public double RecordsPerFsync => Fsyncs == 0 ? 0 : (double)RecordsAppended / Fsyncs;
}
