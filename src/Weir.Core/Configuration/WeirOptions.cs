namespace Weir.Core.Configuration;

/// <summary>
/// Everything Weir needs to start, resolved from flags, <c>WEIR_*</c> environment variables and <c>weir.json</c>
/// by <see cref="WeirConfiguration.Load"/>, which also validates it.
/// </summary>
public sealed record WeirOptions
{
    /// <summary>The data folder, as an absolute path. Only a flag or the environment can set it.</summary>
    public string DataDirectory { get; init; } = Path.GetFullPath(WeirConfiguration.DefaultDataDirectory);

    public HttpOptions Http { get; init; } = new();

    public LoggingOptions Logging { get; init; } = new();

    /// <summary>
    /// The admin token from <c>WEIR_ADMIN_TOKEN</c>, or null: then the server uses the one saved in the data folder,
    /// generating it on first start. Only the environment can set it, so it never sits in a file Weir reads.
    /// </summary>
    public string? AdminToken { get; init; }

    public IngestSettings Ingest { get; init; } = new();

    public LakeSettings Lake { get; init; } = new();
}

/// <summary>How the lake de-duplicates and flushes. Only the environment and <c>weir.json</c> set these.</summary>
public sealed record LakeSettings
{
    /// <summary>A repeated message id received within this long of the first copy is dropped. Default 7 days.</summary>
    public TimeSpan DedupWindow { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Hot rows are written to Parquet once there are this many.</summary>
    public int FlushRows { get; init; } = 500_000;

    /// <summary>Hot rows are written to Parquet once the oldest has waited this long.</summary>
    public TimeSpan FlushAge { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>When ingest sheds load. Only the environment and <c>weir.json</c> set these.</summary>
public sealed record IngestSettings
{
    /// <summary>Requests per second per write key before 429 (bursts of twice that); 0 sets no limit.</summary>
    public int RequestsPerSecondPerKey { get; init; }

    /// <summary>503 while the log holds more than this many bytes its consumers have not read.</summary>
    public long MaxBacklogBytes { get; init; } = 1L << 30;

    /// <summary>503 while the data folder's file system has less free space than this; 0 turns the check off.</summary>
    public long MinFreeDiskBytes { get; init; } = 256L << 20;
}

/// <summary>Where the HTTP server listens.</summary>
public sealed record HttpOptions
{
    /// <summary>
    /// The addresses Kestrel binds, each an absolute http or https URL without a path, e.g.
    /// <c>http://127.0.0.1:8080</c>. Port 0 asks the operating system for a free port.
    /// </summary>
    public IReadOnlyList<string> Urls { get; init; } = [WeirConfiguration.DefaultUrls];

    /// <summary>
    /// The reverse proxies whose <c>X-Forwarded-For</c> is believed, as networks (a single address is a /32 or /128).
    /// A request from one of them counts as coming from the address the header names (the last one not itself a
    /// trusted proxy); from anywhere else the header is ignored, since anyone can send it. Empty (the default): the
    /// connection's address always stands. The visitor id and the country come from that address.
    /// </summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxies { get; init; } = [];
}

/// <summary>How the host writes its log.</summary>
public sealed record LoggingOptions
{
    public LogFormat Format { get; init; } = LogFormat.Text;

    /// <summary>The least severe level that is written.</summary>
    public WeirLogLevel Level { get; init; } = WeirLogLevel.Information;
}

/// <summary>The shape of each log line on the console.</summary>
public enum LogFormat
{
    /// <summary>One human-readable line per entry.</summary>
    Text,

    /// <summary>One JSON object per line, for log shippers.</summary>
    Json,
}

/// <summary>
/// Log levels, with the same names and values as Microsoft.Extensions.Logging's <c>LogLevel</c> so the host can cast
/// one to the other; Core does not depend on the logging packages.
/// </summary>
public enum WeirLogLevel
{
    Trace = 0,
    Debug = 1,
    Information = 2,
    Warning = 3,
    Error = 4,
    Critical = 5,
}
