using System.Collections;

namespace Weir.Core.Configuration;

/// <summary>The environment variables Weir reads. Code takes them as a dictionary so that tests can pass their own.</summary>
public static class WeirEnvironment
{
    public const string DataDirectory = "WEIR_DATA";
    public const string Urls = "WEIR_URLS";
    public const string TrustedProxies = "WEIR_TRUSTED_PROXIES";
    public const string LogFormat = "WEIR_LOG_FORMAT";
    public const string LogLevel = "WEIR_LOG_LEVEL";
    public const string AdminToken = "WEIR_ADMIN_TOKEN";
    public const string IngestRateLimit = "WEIR_INGEST_RATE_LIMIT";
    public const string MaxBacklogMb = "WEIR_MAX_BACKLOG_MB";
    public const string DedupWindowHours = "WEIR_DEDUP_WINDOW_HOURS";
    public const string FlushRows = "WEIR_FLUSH_ROWS";
    public const string FlushSeconds = "WEIR_FLUSH_SECONDS";
    public const string MinFreeDiskMb = "WEIR_MIN_FREE_DISK_MB";

    /// <summary>A snapshot of this process's <c>WEIR_*</c> variables.</summary>
    public static IReadOnlyDictionary<string, string?> FromProcess()
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string name && name.StartsWith("WEIR_", StringComparison.Ordinal))
            {
                result[name] = entry.Value as string;
            }
        }

        return result;
    }
}
