using System.Text.Json;
using System.Text.Json.Serialization;

namespace Weir.Core.Configuration;

/// <summary>
/// The optional <c>weir.json</c> in the data folder. Keys are camelCase; the data folder is not one of them.
/// A mutable class: System.Text.Json cannot fill extension data through init-only setters.
/// </summary>
internal sealed class WeirJsonFile
{
    public string? Urls { get; set; }

    public string? TrustedProxies { get; set; }

    public string? LogFormat { get; set; }

    public string? LogLevel { get; set; }

    public string? IngestRateLimit { get; set; }

    public string? MaxBacklogMb { get; set; }

    public string? MinFreeDiskMb { get; set; }

    public string? DedupWindowHours { get; set; }

    public string? FlushRows { get; set; }

    public string? FlushSeconds { get; set; }

    /// <summary>Keys that are not settings. They are reported as errors rather than silently ignored.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownKeys { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(WeirJsonFile))]
internal sealed partial class WeirJsonFileContext : JsonSerializerContext;
