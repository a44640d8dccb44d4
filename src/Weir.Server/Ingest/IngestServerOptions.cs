using Weir.Ingest;

namespace Weir.Server.Ingest;

/// <summary>How the server takes events in: parsing limits, when it sheds load, and per-key rate limits.</summary>
public sealed record IngestServerOptions
{
    /// <summary>Parsing and validation limits (32 KB per event, 500 KB per batch, …).</summary>
    public IngestOptions Limits { get; init; } = new();

    /// <summary>Ingest answers 503 while the log holds more than this many bytes its consumers have not read. Default 1 GiB.</summary>
    public long MaxBacklogBytes { get; init; } = 1L << 30;

    /// <summary>Ingest answers 503 while the data folder's file system has less free space than this. Default 256 MiB.</summary>
    public long MinFreeDiskBytes { get; init; } = 256L << 20;

    /// <summary>What 503 and 429 answers put in <c>Retry-After</c>.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Requests per second one write key may send before ingest answers 429, with bursts of twice that. 0, the
    /// default, sets no limit: one busy site should not be throttled on a server that has room.
    /// </summary>
    public int RequestsPerSecondPerKey { get; init; }

    /// <summary>How often the free disk space is read again (a statvfs call).</summary>
    public TimeSpan DiskCheckInterval { get; init; } = TimeSpan.FromSeconds(1);
}
