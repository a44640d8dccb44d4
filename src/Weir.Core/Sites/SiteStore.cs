using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Weir.Core.IO;

namespace Weir.Core.Sites;

/// <summary>
/// The sites and their write keys, kept in <c>&lt;data&gt;/sites.json</c>. Lookups by write key read an immutable
/// snapshot without locking (the ingest path does one per request); adding a site writes the file durably and then
/// swaps the snapshot.
/// </summary>
public sealed class SiteStore
{
    public const string FileName = "sites.json";

    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly Lock _writeGate = new();
    private Snapshot _snapshot;

    private SiteStore(string path, TimeProvider time, IReadOnlyList<Site> sites)
    {
        _path = path;
        _time = time;
        _snapshot = new Snapshot(sites);
    }

    /// <summary>Loads the registry from the data folder (an absent file is an empty registry).</summary>
    /// <exception cref="InvalidDataException">The file exists but is not a valid registry.</exception>
    public static SiteStore Open(string dataDirectory, TimeProvider? time = null)
    {
        var path = Path.Combine(dataDirectory, FileName);
        IReadOnlyList<Site> sites = [];
        if (File.Exists(path))
        {
            try
            {
                sites = JsonSerializer.Deserialize(File.ReadAllBytes(path), SiteJsonContext.Default.SiteFile)?.Sites
                    ?? throw new InvalidDataException($"{path} holds no site list.");
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{path} is not a valid site registry: {ex.Message}", ex);
            }
        }

        return new SiteStore(path, time ?? TimeProvider.System, sites);
    }

    public IReadOnlyList<Site> All => _snapshot.Sites;

    public bool TryGetByWriteKey(string writeKey, out Site site) => _snapshot.ByWriteKey.TryGetValue(writeKey, out site!);

    public bool TryGetById(string id, out Site site) => _snapshot.ById.TryGetValue(id, out site!);

    /// <summary>
    /// Finds the site of a domain as trackers send it (Plausible's <c>domain</c>): case-insensitive, with or without a
    /// leading <c>www.</c> on either side, and a trailing dot ignored. When two sites share a domain, the one created
    /// first wins. Allocates nothing.
    /// </summary>
    public bool TryGetByDomain(ReadOnlySpan<char> domain, out Site site)
    {
        var key = DomainKey(domain);
        if (key.IsEmpty)
        {
            site = null!;
            return false;
        }

        return _snapshot.ByDomain.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key, out site!);
    }

    /// <summary>The part of a domain sites are matched on: trimmed, without a trailing dot or a leading <c>www.</c>.</summary>
    internal static ReadOnlySpan<char> DomainKey(ReadOnlySpan<char> domain)
    {
        domain = domain.Trim();
        if (domain.EndsWith('.'))
        {
            domain = domain[..^1];
        }

        if (domain.Length > 4 && domain.StartsWith("www.", StringComparison.OrdinalIgnoreCase))
        {
            domain = domain[4..];
        }

        return domain;
    }

    /// <summary>Creates a site with a new id and write key, and saves the registry before returning it.</summary>
    /// <exception cref="SiteValidationException">A field is not valid; the exception names it.</exception>
    public Site Add(string? domain, string? timezone, IReadOnlyList<string>? allowedOrigins = null, int? retentionDays = null)
    {
        var site = new Site
        {
            Id = NewToken(9),
            Domain = ValidateDomain(domain),
            Timezone = ValidateTimezone(timezone),
            WriteKey = "wk_" + NewToken(18),
            AllowedOrigins = ValidateOrigins(allowedOrigins),
            CreatedAt = _time.GetUtcNow(),
            RetentionDays = ValidateRetention(retentionDays),
        };

        lock (_writeGate)
        {
            Save(new List<Site>(_snapshot.Sites) { site });
        }

        return site;
    }

    /// <summary>Changes how many days of a site's events the lake keeps (null: all), and saves the registry.</summary>
    /// <exception cref="KeyNotFoundException">No site has that id.</exception>
    /// <exception cref="SiteValidationException">The number of days is not valid.</exception>
    public Site SetRetention(string id, int? retentionDays)
    {
        var days = ValidateRetention(retentionDays);
        lock (_writeGate)
        {
            var sites = new List<Site>(_snapshot.Sites);
            var index = sites.FindIndex(s => s.Id == id);
            if (index < 0)
            {
                throw new KeyNotFoundException($"there is no site with id '{id}'");
            }

            sites[index] = sites[index] with { RetentionDays = days };
            Save(sites);
            return sites[index];
        }
    }

    private void Save(List<Site> sites)
    {
        DurableFile.WriteAllBytes(_path, JsonSerializer.SerializeToUtf8Bytes(new SiteFile(sites), SiteJsonContext.Default.SiteFile));
        _snapshot = new Snapshot(sites);
    }

    private static int? ValidateRetention(int? days)
    {
        if (days is < 1 or > 36_500)
        {
            throw new SiteValidationException("retentionDays", $"retentionDays must be between 1 and 36500 (or null to keep everything), not {days}");
        }

        return days;
    }

    private static string ValidateDomain(string? domain)
    {
        if (string.IsNullOrWhiteSpace(domain))
        {
            throw new SiteValidationException("domain", "domain is required, e.g. \"shop.example\"");
        }

        var trimmed = domain.Trim().ToLowerInvariant();
        if (trimmed.Length > 253 || Uri.CheckHostName(trimmed) is not (UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6))
        {
            throw new SiteValidationException("domain", $"'{domain}' is not a host name; give the domain alone, without scheme or path");
        }

        return trimmed;
    }

    private static string ValidateTimezone(string? timezone)
    {
        if (string.IsNullOrWhiteSpace(timezone))
        {
            return "UTC";
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(timezone, out _))
        {
            throw new SiteValidationException("timezone", $"'{timezone}' is not a known IANA time zone, e.g. \"Europe/Berlin\"");
        }

        return timezone;
    }

    private static string[] ValidateOrigins(IReadOnlyList<string>? origins)
    {
        if (origins is null || origins.Count == 0)
        {
            return [];
        }

        var result = new string[origins.Count];
        for (var i = 0; i < origins.Count; i++)
        {
            if (!Uri.TryCreate(origins[i], UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.PathAndQuery != "/")
            {
                throw new SiteValidationException($"allowedOrigins[{i}]", $"'{origins[i]}' is not an origin such as \"https://shop.example\"");
            }

            result[i] = uri.GetLeftPart(UriPartial.Authority);
        }

        return result;
    }

    // Base32 without padding: safe in URLs, file names and HTTP Basic user names.
    private static string NewToken(int bytes) =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes)).TrimEnd('=').Replace('+', 'x').Replace('/', 'y');

    private sealed class Snapshot
    {
        public Snapshot(IReadOnlyList<Site> sites)
        {
            Sites = sites;
            var byKey = new Dictionary<string, Site>(StringComparer.Ordinal);
            var byId = new Dictionary<string, Site>(StringComparer.Ordinal);
            var byDomain = new Dictionary<string, Site>(StringComparer.OrdinalIgnoreCase);
            foreach (var site in sites)
            {
                byKey[site.WriteKey] = site;
                byId[site.Id] = site;
                byDomain.TryAdd(DomainKey(site.Domain).ToString(), site);
            }

            ByWriteKey = byKey.ToFrozenDictionary(StringComparer.Ordinal);
            ById = byId.ToFrozenDictionary(StringComparer.Ordinal);
            ByDomain = byDomain.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        }

        public IReadOnlyList<Site> Sites { get; }

        public FrozenDictionary<string, Site> ByWriteKey { get; }

        public FrozenDictionary<string, Site> ById { get; }

        public FrozenDictionary<string, Site> ByDomain { get; }
    }
}

/// <summary>A site field is not valid. <see cref="Field"/> names it, as the API's error does.</summary>
public sealed class SiteValidationException : Exception
{
    public SiteValidationException(string field, string message) : base(message) => Field = field;

    public SiteValidationException()
    {
        Field = string.Empty;
    }

    public SiteValidationException(string message) : base(message)
    {
        Field = string.Empty;
    }

    public SiteValidationException(string message, Exception innerException) : base(message, innerException)
    {
        Field = string.Empty;
    }

    public string Field { get; }
}

internal sealed record SiteFile(IReadOnlyList<Site> Sites);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(SiteFile))]
internal sealed partial class SiteJsonContext : JsonSerializerContext;
