using Weir.Log.IO;

namespace Weir.Log;

/// <summary>Options of a <see cref="DurableLog"/>. Validated when the log opens.</summary>
public sealed record LogOptions
{
    /// <summary>The directory that holds the segments and the consumers' checkpoints, e.g. <c>&lt;data&gt;/log</c>.</summary>
    public required string Directory { get; init; }

    /// <summary>
    /// A segment is closed and a new one started once it holds at least this many bytes. A segment can exceed it by at most
    /// one batch (<see cref="MaxBatchBytes"/>), since a batch is never split. Default 64 MiB.
    /// </summary>
    public long SegmentBytes { get; init; } = 64L << 20;

    /// <summary>
    /// The most bytes the flusher writes between two fsyncs, and the size of each of its two buffers. It also bounds a torn
    /// tail: damage further than this from the end of the last segment cannot come from a crash and is reported as
    /// corruption. Default 4 MiB.
    /// </summary>
    public int MaxBatchBytes { get; init; } = 4 << 20;

    /// <summary>The largest payload accepted. At most <see cref="MaxBatchBytes"/> − 8. Default 1 MiB.</summary>
    public int MaxRecordBytes { get; init; } = 1 << 20;

    /// <summary>
    /// When recovery finds damage that a crash cannot explain, keep the valid records before it, move the rest aside as
    /// <c>.corrupt</c> files and open anyway (the report lists what was dropped). Off by default: the open fails instead.
    /// </summary>
    public bool Salvage { get; init; }

    /// <summary>
    /// When set, a segment every consumer has passed is first archived here, gzip-compressed, as
    /// <c>&lt;first position&gt;-&lt;end position&gt;.wlog.gz</c> (the raw zone), and only then deleted. Default: deleted without archiving.
    /// </summary>
    public string? ArchiveDirectory { get; init; }

    /// <summary>The file I/O the log uses; tests replace it to inject faults.</summary>
    internal ILogFileSystem FileSystem { get; init; } = PosixFileSystem.Instance;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory))
        {
            ThrowHelper.InvalidOption(nameof(Directory), "must name a directory");
        }

        if (SegmentBytes < 4096)
        {
            ThrowHelper.InvalidOption(nameof(SegmentBytes), "must be at least 4096");
        }

        if (MaxBatchBytes < 4096 || MaxBatchBytes > 1 << 30)
        {
            ThrowHelper.InvalidOption(nameof(MaxBatchBytes), "must be between 4 KiB and 1 GiB");
        }

        if (MaxRecordBytes < 1 || MaxRecordBytes > MaxBatchBytes - Format.SegmentFormat.FrameHeaderLength)
        {
            ThrowHelper.InvalidOption(nameof(MaxRecordBytes), "must be between 1 and MaxBatchBytes - 8");
        }
    }
}
