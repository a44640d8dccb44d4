using System.Text.Json;

namespace Weir.Core.Configuration;

/// <summary>
/// Resolves <see cref="WeirOptions"/> from, in order of precedence: command-line flags, <c>WEIR_*</c> environment
/// variables, the optional <c>weir.json</c> in the data folder, and the defaults. Every value is validated here, at
/// start-up, and every problem is reported at once with the name of the setting and where it came from.
/// </summary>
public static class WeirConfiguration
{
    /// <summary>Relative to the working directory.</summary>
    public const string DefaultDataDirectory = "weir-data";

    /// <summary>Loopback only, so a fresh install is not reachable from the network until it is asked to be.</summary>
    public const string DefaultUrls = "http://127.0.0.1:8080";

    public const string FileName = "weir.json";

    private static readonly string[] LogFormatNames = ["text", "json"];

    private static readonly string[] KnownFileKeys = ["urls", "trustedProxies", "logFormat", "logLevel", "ingestRateLimit", "maxBacklogMb", "minFreeDiskMb", "dedupWindowHours", "flushRows", "flushSeconds"];

    /// <summary>
    /// Resolves and validates the options, and creates the data folder if it is missing.
    /// </summary>
    /// <param name="flags">What was given on the command line.</param>
    /// <param name="environment">Environment variables, usually <see cref="WeirEnvironment.FromProcess"/>.</param>
    /// <exception cref="WeirConfigurationException">Some value is not valid; the message names each one.</exception>
    public static WeirOptions Load(CommandLineSettings flags, IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(flags);
        ArgumentNullException.ThrowIfNull(environment);

        var errors = new List<ConfigurationError>();
        var dataDirectory = TryResolveDataDirectory(flags.DataDirectory, environment, errors);
        var file = dataDirectory is null ? null : ReadFile(Path.Combine(dataDirectory, FileName), errors);
        var fileName = dataDirectory is null ? FileName : Path.Combine(dataDirectory, FileName);

        var urls = Pick(flags.Urls, "--urls", environment, WeirEnvironment.Urls, file?.Urls, fileName, "urls");
        var proxies = Pick(null, string.Empty, environment, WeirEnvironment.TrustedProxies, file?.TrustedProxies, fileName, "trustedProxies");
        var format = Pick(flags.LogFormat, "--log-format", environment, WeirEnvironment.LogFormat, file?.LogFormat, fileName, "logFormat");
        var level = Pick(flags.LogLevel, "--log-level", environment, WeirEnvironment.LogLevel, file?.LogLevel, fileName, "logLevel");

        var options = new WeirOptions
        {
            DataDirectory = dataDirectory ?? string.Empty,
            Http = new HttpOptions
            {
                Urls = urls is null ? [DefaultUrls] : ParseUrls(urls.Value, errors),
                TrustedProxies = proxies is null ? [] : ParseNetworks(proxies.Value, errors),
            },
            Logging = new LoggingOptions
            {
                Format = format is null ? LogFormat.Text : ParseLogFormat(format.Value, errors),
                Level = level is null ? WeirLogLevel.Information : ParseLogLevel(level.Value, errors),
            },
            AdminToken = ParseAdminToken(FromEnvironment(environment, WeirEnvironment.AdminToken), errors),
            Ingest = LoadIngest(environment, file, fileName, errors),
            Lake = LoadLake(environment, file, fileName, errors),
        };

        return errors.Count == 0 ? options : throw new WeirConfigurationException(errors);
    }

    /// <summary>
    /// Resolves the data folder alone (from <c>--data</c>, else <c>WEIR_DATA</c>, else the default), as an absolute
    /// path, and creates it if it is missing. For commands that need nothing else.
    /// </summary>
    /// <exception cref="WeirConfigurationException">The folder is empty or cannot be created.</exception>
    public static string ResolveDataDirectory(string? flag, IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var errors = new List<ConfigurationError>();
        return TryResolveDataDirectory(flag, environment, errors) ?? throw new WeirConfigurationException(errors);
    }

    private static string? TryResolveDataDirectory(string? flag, IReadOnlyDictionary<string, string?> environment, List<ConfigurationError> errors)
    {
        var (setting, value) = flag is not null
            ? ("--data", flag)
            : FromEnvironment(environment, WeirEnvironment.DataDirectory) is { } env
                ? (WeirEnvironment.DataDirectory, env)
                : ("default data folder", DefaultDataDirectory);

        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new ConfigurationError(setting, "the data folder must not be empty"));
            return null;
        }

        string path;
        try
        {
            path = Path.GetFullPath(value);
            Directory.CreateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            errors.Add(new ConfigurationError(setting, $"cannot create the data folder '{value}': {e.Message}"));
            return null;
        }

        return path;
    }

    private static WeirJsonFile? ReadFile(string path, List<ConfigurationError> errors)
    {
        WeirJsonFile? file;
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            using var stream = File.OpenRead(path);
            file = JsonSerializer.Deserialize(stream, WeirJsonFileContext.Default.WeirJsonFile);
        }
        catch (JsonException e)
        {
            errors.Add(new ConfigurationError(path, DescribeJsonError(e)));
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add(new ConfigurationError(path, $"cannot be read: {e.Message}"));
            return null;
        }

        if (file is null)
        {
            errors.Add(new ConfigurationError(path, "must hold a JSON object, not null"));
            return null;
        }

        foreach (var key in file.UnknownKeys?.Keys ?? Enumerable.Empty<string>())
        {
            errors.Add(new ConfigurationError($"{path}: {key}", DescribeUnknownKey(key)));
        }

        return file;
    }

    private static string DescribeUnknownKey(string key)
    {
        if (key.Equals("data", StringComparison.OrdinalIgnoreCase) || key.Equals("dataDirectory", StringComparison.OrdinalIgnoreCase))
        {
            return $"the data folder cannot be set in {FileName}, which lives inside it; use --data or {WeirEnvironment.DataDirectory}";
        }

        var known = string.Join(", ", KnownFileKeys);
        var match = Array.Find(KnownFileKeys, k => k.Equals(key, StringComparison.OrdinalIgnoreCase));
        return match is null
            ? $"unknown key; the keys are {known}"
            : $"unknown key; keys are case-sensitive, did you mean '{match}'?";
    }

    private static string DescribeJsonError(JsonException e)
    {
        var where = e.LineNumber is { } line
            ? $" at line {line + 1}, byte {(e.BytePositionInLine ?? 0) + 1}"
            : string.Empty;

        // A syntax error carries the reader's JsonException inside; a value of the wrong type does not.
        if (e.InnerException is not JsonException)
        {
            return e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal)
                ? $"{path[2..]} must be a string{where}"
                : $"must hold a JSON object such as {{\"logLevel\": \"Debug\"}}{where}";
        }

        // System.Text.Json appends its own "Path: … | LineNumber: …" to the message; keep only the explanation.
        var reason = e.Message;
        var cut = reason.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0)
        {
            reason = reason[..cut];
        }

        return $"not valid JSON{where}: {reason}";
    }

    /// <summary>A raw value and the name of the place it came from, for error messages.</summary>
    private readonly record struct Sourced(string Value, string Setting);

    private static Sourced? Pick(string? flag, string flagName, IReadOnlyDictionary<string, string?> environment,
        string variable, string? fileValue, string fileName, string fileKey)
    {
        if (flag is not null)
        {
            return new Sourced(flag, flagName);
        }

        if (FromEnvironment(environment, variable) is { } env)
        {
            return new Sourced(env, variable);
        }

        return fileValue is null ? null : new Sourced(fileValue, $"{fileName}: {fileKey}");
    }

    /// <summary>An empty variable counts as unset, as shells make it easy to leave one behind.</summary>
    private static string? FromEnvironment(IReadOnlyDictionary<string, string?> environment, string name) =>
        environment.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;

    private static IngestSettings LoadIngest(IReadOnlyDictionary<string, string?> environment, WeirJsonFile? file, string fileName, List<ConfigurationError> errors)
    {
        const long Megabyte = 1L << 20;
        var defaults = new IngestSettings();
        var rate = Pick(null, string.Empty, environment, WeirEnvironment.IngestRateLimit, file?.IngestRateLimit, fileName, "ingestRateLimit");
        var backlog = Pick(null, string.Empty, environment, WeirEnvironment.MaxBacklogMb, file?.MaxBacklogMb, fileName, "maxBacklogMb");
        var disk = Pick(null, string.Empty, environment, WeirEnvironment.MinFreeDiskMb, file?.MinFreeDiskMb, fileName, "minFreeDiskMb");
        return new IngestSettings
        {
            RequestsPerSecondPerKey = rate is { } r ? (int)ParseCount(r, int.MaxValue, "requests per second per write key, 0 for no limit", errors) : defaults.RequestsPerSecondPerKey,
            MaxBacklogBytes = backlog is { } b ? ParseCount(b, long.MaxValue / Megabyte, "megabytes", errors) * Megabyte : defaults.MaxBacklogBytes,
            MinFreeDiskBytes = disk is { } d ? ParseCount(d, long.MaxValue / Megabyte, "megabytes, 0 to turn the check off", errors) * Megabyte : defaults.MinFreeDiskBytes,
        };
    }

    private static LakeSettings LoadLake(IReadOnlyDictionary<string, string?> environment, WeirJsonFile? file, string fileName, List<ConfigurationError> errors)
    {
        var defaults = new LakeSettings();
        var window = Pick(null, string.Empty, environment, WeirEnvironment.DedupWindowHours, file?.DedupWindowHours, fileName, "dedupWindowHours");
        var rows = Pick(null, string.Empty, environment, WeirEnvironment.FlushRows, file?.FlushRows, fileName, "flushRows");
        var seconds = Pick(null, string.Empty, environment, WeirEnvironment.FlushSeconds, file?.FlushSeconds, fileName, "flushSeconds");
        return new LakeSettings
        {
            DedupWindow = window is { } w ? TimeSpan.FromHours(ParsePositive(w, 24 * 366, "hours, at least 1", errors)) : defaults.DedupWindow,
            FlushRows = rows is { } r ? (int)ParsePositive(r, 50_000_000, "rows, at least 1", errors) : defaults.FlushRows,
            FlushAge = seconds is { } f ? TimeSpan.FromSeconds(ParsePositive(f, 86_400, "seconds, at least 1", errors)) : defaults.FlushAge,
        };
    }

    private static long ParsePositive(Sourced value, long max, string unit, List<ConfigurationError> errors)
    {
        var before = errors.Count;
        var count = ParseCount(value, max, unit, errors);
        if (count < 1 && errors.Count == before)
        {
            errors.Add(new ConfigurationError(value.Setting, $"'{value.Value}' is not a whole number of {unit}"));
        }

        return Math.Max(count, 1);
    }

    private static long ParseCount(Sourced value, long max, string unit, List<ConfigurationError> errors)
    {
        if (long.TryParse(value.Value.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) && count <= max)
        {
            return count;
        }

        errors.Add(new ConfigurationError(value.Setting, $"'{value.Value}' is not a whole number of {unit}"));
        return 0;
    }

    /// <summary>The shortest admin token accepted: shorter ones are too easy to guess.</summary>
    public const int MinimumAdminTokenLength = 16;

    private static string? ParseAdminToken(string? token, List<ConfigurationError> errors)
    {
        if (token is null)
        {
            return null;
        }

        if (token.Length < MinimumAdminTokenLength || token.Any(char.IsWhiteSpace))
        {
            // The value itself is a secret: never echo it.
            errors.Add(new ConfigurationError(WeirEnvironment.AdminToken,
                $"the admin token must be at least {MinimumAdminTokenLength} characters without spaces"));
            return null;
        }

        return token;
    }

    private static LogFormat ParseLogFormat(Sourced value, List<ConfigurationError> errors)
    {
        var text = value.Value.Trim();
        if (text.Equals("text", StringComparison.OrdinalIgnoreCase))
        {
            return LogFormat.Text;
        }

        if (text.Equals("json", StringComparison.OrdinalIgnoreCase))
        {
            return LogFormat.Json;
        }

        errors.Add(new ConfigurationError(value.Setting, $"'{value.Value}' is not one of {string.Join(", ", LogFormatNames)}"));
        return LogFormat.Text;
    }

    private static WeirLogLevel ParseLogLevel(Sourced value, List<ConfigurationError> errors)
    {
        var text = value.Value.Trim();
        foreach (var level in Enum.GetValues<WeirLogLevel>())
        {
            // Names only: Enum.TryParse would also take "3" or "Warning, Error".
            if (text.Equals(level.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                return level;
            }
        }

        errors.Add(new ConfigurationError(value.Setting, $"'{value.Value}' is not one of {string.Join(", ", Enum.GetNames<WeirLogLevel>())}"));
        return WeirLogLevel.Information;
    }

    /// <summary>Addresses and CIDR networks separated by commas, e.g. <c>127.0.0.1, 10.0.0.0/8, ::1</c>.</summary>
    private static System.Net.IPNetwork[] ParseNetworks(Sourced value, List<ConfigurationError> errors)
    {
        var parts = value.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var networks = new List<System.Net.IPNetwork>(parts.Length);
        foreach (var part in parts)
        {
            if (System.Net.IPAddress.TryParse(part, out var address) && !part.Contains('/', StringComparison.Ordinal))
            {
                networks.Add(new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else if (System.Net.IPNetwork.TryParse(part, out var network)
                && System.Net.IPAddress.TryParse(part.AsSpan(0, part.IndexOf('/', StringComparison.Ordinal)), out var start) && start.Equals(network.BaseAddress))
            {
                // 10.0.0.1/8 would parse as 10.0.0.0/8; more likely a typo than meant, so it is refused.
                networks.Add(network);
            }
            else
            {
                errors.Add(new ConfigurationError(value.Setting,
                    $"'{part}' is not an IP address or a network such as 10.0.0.0/8 (with no bits set past the prefix); separate several with commas"));
            }
        }

        return [.. networks];
    }

    private static string[] ParseUrls(Sourced value, List<ConfigurationError> errors)
    {
        var parts = value.Value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
        {
            errors.Add(new ConfigurationError(value.Setting, $"'{value.Value}' holds no URL; give one such as {DefaultUrls}"));
            return [];
        }

        var count = errors.Count;
        foreach (var part in parts)
        {
            if (DescribeBadUrl(part) is { } problem)
            {
                errors.Add(new ConfigurationError(value.Setting, problem));
            }
        }

        return errors.Count == count ? parts : [];
    }

    /// <summary>Why Kestrel could not bind to <paramref name="url"/>, or null if it can.</summary>
    private static string? DescribeBadUrl(string url)
    {
        // Kestrel takes * and + for "every address"; Uri does not, so check the rest of the URL with a stand-in host.
        var probe = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        if (!Uri.TryCreate(probe, UriKind.Absolute, out var uri))
        {
            return $"'{url}' is not an absolute URL such as {DefaultUrls}";
        }

        // "localhost:8080" parses, with "localhost" as its scheme.
        if ((uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || !probe.Contains("://", StringComparison.Ordinal))
        {
            return $"'{url}' must start with http:// or https://";
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            return $"'{url}' must not have a path, query or fragment; the server binds to an address and port only";
        }

        if (uri.UserInfo.Length > 0)
        {
            return $"'{url}' must not contain a user name or password";
        }

        return null;
    }
}
