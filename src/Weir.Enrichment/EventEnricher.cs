using System.Text;
using Weir.Enrichment.Referrers;
using Weir.Enrichment.UserAgents;
using Weir.Lake.Hot;

namespace Weir.Enrichment;

/// <summary>
/// The loader's enrichment of one lane (<see cref="IHotRowEnricher"/>): from a record's user agent the browser, OS,
/// device type and bot flag; from its IP the country; from its landing URL the UTM tags; from its referrer the
/// referrer's host and the source. The IP and the user agent are read here and never written anywhere.
/// </summary>
/// <remarks>
/// Parsing a user agent runs hundreds of rules, and classifying a referrer parses a URL: both are cached per value
/// (a bounded map, emptied when full), so an event whose user agent and referrer have been seen costs a few lookups.
/// Not thread-safe: one per lane.
/// </remarks>
public sealed class EventEnricher : IHotRowEnricher
{
    /// <summary>Entries per cache before it is emptied: enough for the distinct user agents of a busy hour.</summary>
    public const int CacheSize = 20_000;

    private static readonly byte[][] DeviceNames = [.. Enum.GetValues<DeviceType>().Select(d => Encoding.UTF8.GetBytes(d.ToString().ToLowerInvariant()))];
    private static readonly byte[][] ChannelNames = [.. Enum.GetValues<Channel>().Select(c => Encoding.UTF8.GetBytes(c.ToString().ToLowerInvariant()))];

    private readonly EnrichmentData _data;
    private readonly bool _cached;
    private readonly Dictionary<string, Agent> _agents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Agent>.AlternateLookup<ReadOnlySpan<char>> _agentLookup;
    private readonly Dictionary<string, Origin> _origins = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Origin>.AlternateLookup<ReadOnlySpan<char>> _originLookup;
    private readonly Dictionary<string, byte[]> _countries = new(StringComparer.Ordinal);
    private char[] _chars = new char[1024];
    private byte[] _decoded = new byte[256];
    private char[] _key = new char[1024];
    private int _keyLength;

    /// <param name="data">The parsers and their data.</param>
    /// <param name="cached">False parses every value afresh (for the benchmark's comparison).</param>
    public EventEnricher(EnrichmentData data, bool cached = true)
    {
        ArgumentNullException.ThrowIfNull(data);
        _data = data;
        _cached = cached;
        _agentLookup = _agents.GetAlternateLookup<ReadOnlySpan<char>>();
        _originLookup = _origins.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public void Enrich(in DecodedRecord record, HotEnrichment columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (record.Has(RecordField.UserAgent))
        {
            var agent = AgentOf(record.GetUtf8(RecordField.UserAgent));
            columns.Set(EnrichmentColumn.Browser, agent.Browser);
            if (agent.BrowserVersion is not null)
            {
                columns.Set(EnrichmentColumn.BrowserVersion, agent.BrowserVersion);
            }

            columns.Set(EnrichmentColumn.Os, agent.Os);
            if (agent.OsVersion is not null)
            {
                columns.Set(EnrichmentColumn.OsVersion, agent.OsVersion);
            }

            columns.Set(EnrichmentColumn.DeviceType, agent.Device);
            columns.IsBot = agent.IsBot;
        }

        if (record.Has(RecordField.Ip) && CountryOf(record.GetUtf8(RecordField.Ip)) is { } country)
        {
            columns.Set(EnrichmentColumn.Country, country);
        }

        var query = record.Has(RecordField.Query) ? record.GetUtf8(RecordField.Query) : default;
        SetTag(columns, query, "utm_source"u8, EnrichmentColumn.UtmSource);
        SetTag(columns, query, "utm_medium"u8, EnrichmentColumn.UtmMedium);
        SetTag(columns, query, "utm_campaign"u8, EnrichmentColumn.UtmCampaign);
        SetTag(columns, query, "utm_term"u8, EnrichmentColumn.UtmTerm);
        SetTag(columns, query, "utm_content"u8, EnrichmentColumn.UtmContent);

        var origin = OriginOf(record, query);
        if (origin.ReferrerHost is not null)
        {
            columns.Set(EnrichmentColumn.ReferrerHost, origin.ReferrerHost);
        }

        if (origin.Source is not null)
        {
            columns.Set(EnrichmentColumn.Source, origin.Source);
        }
    }

    private Agent AgentOf(ReadOnlySpan<byte> utf8)
    {
        var text = Chars(utf8);
        if (_cached && _agentLookup.TryGetValue(text, out var known))
        {
            return known;
        }

        var userAgent = text.ToString();
        var info = _data.UserAgents.Parse(userAgent);
        var agent = new Agent(
            Encoding.UTF8.GetBytes(info.Browser), info.BrowserVersion is null ? null : Encoding.UTF8.GetBytes(info.BrowserVersion),
            Encoding.UTF8.GetBytes(info.Os), info.OsVersion is null ? null : Encoding.UTF8.GetBytes(info.OsVersion),
            DeviceNames[(int)info.Device], info.IsSpider || _data.Bots.IsBot(userAgent));
        Remember(_agents, userAgent, agent);
        return agent;
    }

    private byte[]? CountryOf(ReadOnlySpan<byte> utf8)
    {
        if (_data.Countries.Lookup(Chars(utf8)) is not { } code)
        {
            return null;
        }

        if (!_countries.TryGetValue(code, out var bytes))
        {
            bytes = Encoding.UTF8.GetBytes(code);
            _countries.Add(code, bytes);
        }

        return bytes;
    }

    /// <summary>
    /// The referrer's host and the source, cached per (referrer, own host, utm_source, utm_medium, click id or not):
    /// the key is composed in a reused buffer, so a known combination allocates nothing.
    /// </summary>
    private Origin OriginOf(in DecodedRecord record, ReadOnlySpan<byte> query)
    {
        var referrer = record.Has(RecordField.Referrer) ? record.GetUtf8(RecordField.Referrer) : default;
        var host = record.Has(RecordField.Host) ? record.GetUtf8(RecordField.Host) : default;
        var clickId = HasClickId(query);
        _keyLength = 0;
        AppendKey(referrer);
        AppendKey(host);
        AppendKey(TagBytes(query, "utm_source"u8));
        AppendKey(TagBytes(query, "utm_medium"u8));
        AppendKey(clickId ? "1"u8 : "0"u8);
        var key = _key.AsSpan(0, _keyLength);
        if (_cached && _originLookup.TryGetValue(key, out var known))
        {
            return known;
        }

        var referrerText = referrer.IsEmpty ? null : Encoding.UTF8.GetString(referrer);
        var hostText = host.IsEmpty ? null : Encoding.UTF8.GetString(host);
        var found = _data.Referrers.Classify(referrerText, hostText, Tag(query, "utm_source"u8), Tag(query, "utm_medium"u8), clickId ? "gclid=" : null);
        var referrerHost = ReferrerSources.ExternalHost(referrerText, hostText);
        var origin = new Origin(referrerHost is null ? null : Encoding.UTF8.GetBytes(referrerHost),
            found.Source is null ? null : Encoding.UTF8.GetBytes(found.Source), ChannelNames[(int)found.Channel]);
        Remember(_origins, key.ToString(), origin);
        return origin;
    }

    /// <summary>Appends a UTF-8 part and a separator (a byte no text holds) to the cache key.</summary>
    private void AppendKey(ReadOnlySpan<byte> utf8)
    {
        var most = _keyLength + Encoding.UTF8.GetMaxCharCount(utf8.Length) + 1;
        if (most > _key.Length)
        {
            Array.Resize(ref _key, Math.Max(most, _key.Length * 2));
        }

        _keyLength += Encoding.UTF8.GetChars(utf8, _key.AsSpan(_keyLength));
        _key[_keyLength++] = '\u0000';
    }

    private void Remember<T>(Dictionary<string, T> cache, string key, T value)
    {
        if (!_cached)
        {
            return;
        }

        if (cache.Count >= CacheSize)
        {
            cache.Clear();
        }

        cache[key] = value;
    }

    private ReadOnlySpan<char> Chars(ReadOnlySpan<byte> utf8)
    {
        var most = Encoding.UTF8.GetMaxCharCount(utf8.Length);
        if (most > _chars.Length)
        {
            _chars = new char[most];
        }

        return _chars.AsSpan(0, Encoding.UTF8.GetChars(utf8, _chars));
    }

    private void SetTag(HotEnrichment columns, ReadOnlySpan<byte> query, ReadOnlySpan<byte> name, EnrichmentColumn column)
    {
        if (TagBytes(query, name) is { Length: > 0 } value)
        {
            columns.Set(column, value);
        }
    }

    private string? Tag(ReadOnlySpan<byte> query, ReadOnlySpan<byte> name) =>
        TagBytes(query, name) is { Length: > 0 } value ? Encoding.UTF8.GetString(value) : null;

    /// <summary>A query parameter's value, percent- and plus-decoded into a scratch buffer; empty when absent or not valid UTF-8.</summary>
    private ReadOnlySpan<byte> TagBytes(ReadOnlySpan<byte> query, ReadOnlySpan<byte> name)
    {
        while (!query.IsEmpty)
        {
            var end = query.IndexOf((byte)'&');
            var pair = end < 0 ? query : query[..end];
            query = end < 0 ? default : query[(end + 1)..];
            if (pair.Length > name.Length && pair[name.Length] == (byte)'=' && pair.StartsWith(name))
            {
                var value = pair[(name.Length + 1)..];
                if (_decoded.Length < value.Length)
                {
                    _decoded = new byte[value.Length * 2];
                }

                var length = 0;
                for (var i = 0; i < value.Length; i++)
                {
                    var b = value[i];
                    if (b == (byte)'%' && i + 2 < value.Length && HexValue(value[i + 1]) is var high and >= 0 && HexValue(value[i + 2]) is var low and >= 0)
                    {
                        _decoded[length++] = (byte)((high << 4) | low);
                        i += 2;
                    }
                    else
                    {
                        _decoded[length++] = b == (byte)'+' ? (byte)' ' : b;
                    }
                }

                var decoded = _decoded.AsSpan(0, length);
                return System.Text.Unicode.Utf8.IsValid(decoded) ? decoded : default;
            }
        }

        return default;
    }

    private static bool HasClickId(ReadOnlySpan<byte> query) =>
        query.IndexOf("gclid="u8) >= 0 || query.IndexOf("fbclid="u8) >= 0 || query.IndexOf("msclkid="u8) >= 0
        || query.IndexOf("gbraid="u8) >= 0 || query.IndexOf("wbraid="u8) >= 0 || query.IndexOf("ttclid="u8) >= 0
        || query.IndexOf("twclid="u8) >= 0 || query.IndexOf("dclid="u8) >= 0 || query.IndexOf("yclid="u8) >= 0 || query.IndexOf("li_fat_id="u8) >= 0;

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private sealed record Agent(byte[] Browser, byte[]? BrowserVersion, byte[] Os, byte[]? OsVersion, byte[] Device, bool IsBot);

    private sealed record Origin(byte[]? ReferrerHost, byte[]? Source, byte[] Channel);
}
