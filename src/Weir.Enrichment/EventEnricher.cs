using System.Text;
using System.Text.Unicode;
using Weir.Enrichment.Referrers;
using Weir.Enrichment.UserAgents;
using Weir.Enrichment.Visitors;
using Weir.Lake.Hot;

namespace Weir.Enrichment;

/// <summary>
/// The loader's enrichment of one lane (<see cref="IHotRowEnricher"/>): from a record's user agent the browser, OS,
/// device type and bot flag; from its IP the country; from its landing URL the UTM tags; from its referrer the
/// referrer's host and the source; from site, IP and user agent the day's visitor id. The IP and the user agent are
/// read here and never written anywhere.
/// </summary>
/// <remarks>
/// Parsing a user agent runs hundreds of rules, classifying a referrer parses a URL, and finding a country searches
/// the ranges: all three are cached by the raw bytes they come from (<see cref="Utf8KeyCache{T}"/>), so an event whose
/// values have been seen costs a hash and a few lookups, with no transcoding and no allocation. The cached results are
/// the hot table's interned entries (<see cref="HotDimensions"/>), so the row stores their ids. Not thread-safe: one per
/// lane.
/// </remarks>
public sealed class EventEnricher : IHotRowEnricher
{
    /// <summary>Entries per cache before it is emptied: enough for the distinct user agents of a busy hour.</summary>
    public const int CacheSize = 20_000;

    private static readonly string[] DeviceNames = [.. Enum.GetValues<DeviceType>().Select(d => d.ToString().ToLowerInvariant())];

    private readonly EnrichmentData _data;
    private readonly VisitorIds.Hasher? _visitors;
    private readonly Utf8KeyCache<HotDimensionEntry> _agents;
    private readonly Utf8KeyCache<HotDimensionEntry> _origins;
    private readonly HotDimensionEntry?[] _places;
    private HotDimensions? _dimensions;
    private HotDimensionEntry? _direct;
    private byte[] _decoded = new byte[256];
    private byte[] _key = new byte[512];
    private readonly byte[] _plainHost = new byte[253]; // the longest DNS name
    private int _plainHostLength;

    /// <param name="data">The parsers and their data.</param>
    /// <param name="visitors">The visitor ids' salts; none leaves <c>visitor_id</c> NULL.</param>
    /// <param name="cached">False parses every value afresh (for the benchmark's comparison).</param>
    public EventEnricher(EnrichmentData data, VisitorIds? visitors = null, bool cached = true)
    {
        ArgumentNullException.ThrowIfNull(data);
        _data = data;
        _visitors = visitors?.CreateHasher();
        _agents = new Utf8KeyCache<HotDimensionEntry>(CacheSize, cached);
        _origins = new Utf8KeyCache<HotDimensionEntry>(CacheSize, cached);
        _places = new HotDimensionEntry?[data.Countries.CountryCount];
    }

    public void Enrich(in DecodedRecord record, HotEnrichment columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        // Entries belong to one hot table's dimensions. The caches keep what was parsed: an entry of another table is
        // adopted by this one when it is next used.
        _dimensions = columns.Dimensions;
        // The country's table entries are asked for first and read last: the rest of the work hides the wait for memory.
        var hasIp = record.Has(RecordField.Ip);
        var ip = hasIp ? record.GetUtf8(RecordField.Ip) : default;
        var country = hasIp ? _data.Countries.BeginLookup(ip) : default;
        ReadOnlySpan<byte> userAgent = default;
        ulong agentHash = 0;
        if (record.Has(RecordField.UserAgent))
        {
            userAgent = record.GetUtf8(RecordField.UserAgent);
            columns.Agent = AgentOf(userAgent, out agentHash);
        }

        if (hasIp)
        {
            // The prefix's entry has arrived meanwhile; a split prefix's block entry is asked for now.
            country = _data.Countries.ContinueLookup(country);
            if (_visitors is not null)
            {
                columns.VisitorHash = _visitors.Hash(record.ReceivedAt, record.SiteId, ip, agentHash, userAgent.Length);
            }
        }

        var tags = new QueryTags(record.Has(RecordField.Query) ? record.GetUtf8(RecordField.Query) : default);
        SetTag(columns, tags.Source, EnrichmentColumn.UtmSource);
        SetTag(columns, tags.Medium, EnrichmentColumn.UtmMedium);
        SetTag(columns, tags.Campaign, EnrichmentColumn.UtmCampaign);
        SetTag(columns, tags.Term, EnrichmentColumn.UtmTerm);
        SetTag(columns, tags.Content, EnrichmentColumn.UtmContent);
        columns.Origin = OriginOf(record, in tags);
        if (hasIp)
        {
            columns.Place = PlaceOf(_data.Countries.EndLookup(country));
        }
    }

    private HotDimensionEntry AgentOf(ReadOnlySpan<byte> utf8, out ulong hash)
    {
        if (_agents.TryGet(utf8, out var known, out hash))
        {
            return Current(_agents, utf8, hash, known);
        }

        var userAgent = Encoding.UTF8.GetString(utf8);
        var info = _data.UserAgents.Parse(userAgent);
        var agent = _dimensions!.Agent(info.Browser, info.BrowserVersion, info.Os, info.OsVersion, DeviceNames[(int)info.Device],
            info.IsSpider || _data.Bots.IsBot(userAgent));
        _agents.Add(utf8, hash, agent);
        return agent;
    }

    /// <summary>
    /// The entry of a country index. Countries are not cached by address: a busy site sees more addresses an hour than
    /// a cache would hold, and the table lookup costs about what a cache lookup would.
    /// </summary>
    private HotDimensionEntry? PlaceOf(int country)
    {
        if (country < 0)
        {
            return null;
        }

        // The country data has no regions or cities (docs/enrichment.md): a place is a country.
        var place = _places[country];
        if (place is null || !_dimensions!.Owns(place))
        {
            place = _places[country] = _dimensions!.Place(_data.Countries.CodeAt(country), region: null, city: null);
        }

        return place;
    }

    /// <summary>
    /// The referrer's host and the source, which depend on the referrer, the page's own host and <c>utm_source</c> only
    /// (a paid medium or a click id changes the channel, which is not stored). Cached by those three as sent: the key
    /// is composed in a reused buffer, so a known combination allocates nothing.
    /// </summary>
    private HotDimensionEntry OriginOf(in DecodedRecord record, in QueryTags tags)
    {
        var referrer = record.Has(RecordField.Referrer) ? record.GetUtf8(RecordField.Referrer) : default;
        var host = record.Has(RecordField.Host) ? record.GetUtf8(RecordField.Host) : default;
        if (tags.Source.IsEmpty && (referrer.IsEmpty || IsOwnPage(referrer, host)))
        {
            // No referrer, or one of the site's own pages, and no campaign: no source (most events of a visit).
            if (_direct is null || !_dimensions!.Owns(_direct))
            {
                _direct = _dimensions!.Origin(referrerHost: null, source: null);
            }

            return _direct;
        }

        var length = referrer.Length + host.Length + tags.Source.Length + 3;
        if (_key.Length < length)
        {
            _key = new byte[Math.Max(length, _key.Length * 2)];
        }

        // Zero bytes (which no part holds) separate the parts, so no two combinations compose the same key.
        var key = _key.AsSpan(0, length);
        var at = Append(key, 0, referrer);
        at = Append(key, at, host);
        Append(key, at, tags.Source);
        if (_origins.TryGet(key, out var known, out var hash))
        {
            return Current(_origins, key, hash, known);
        }

        var referrerText = referrer.IsEmpty ? null : Encoding.UTF8.GetString(referrer);
        var hostText = host.IsEmpty ? null : Encoding.UTF8.GetString(host);
        var found = _data.Referrers.Classify(referrerText, hostText, Decoded(tags.Source), utmMedium: null, query: null);
        var origin = _dimensions!.Origin(ReferrerSources.ExternalHost(referrerText, hostText), found.Source);
        _origins.Add(key, hash, origin);
        return origin;
    }

    /// <summary>
    /// <see cref="ReferrerSources.IsOwnPage(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>, remembering the last host found
    /// plain: a site's events name the same host, so the check of its bytes is mostly a comparison with a copy.
    /// </summary>
    private bool IsOwnPage(ReadOnlySpan<byte> referrer, ReadOnlySpan<byte> host)
    {
        var known = !host.IsEmpty && host.SequenceEqual(_plainHost.AsSpan(0, _plainHostLength));
        if (!known && host.Length <= _plainHost.Length && ReferrerSources.IsPlainHost(host))
        {
            host.CopyTo(_plainHost);
            _plainHostLength = host.Length;
            known = !host.IsEmpty;
        }

        return ReferrerSources.IsOwnPage(referrer, host, known);
    }

    /// <summary>A cached entry, adopted by the current hot table's dimensions (and cached so) when it came from another.</summary>
    private HotDimensionEntry Current(Utf8KeyCache<HotDimensionEntry> cache, ReadOnlySpan<byte> key, ulong hash, HotDimensionEntry entry)
    {
        if (_dimensions!.Owns(entry))
        {
            return entry;
        }

        var adopted = _dimensions.Adopt(entry);
        cache.Add(key, hash, adopted);
        return adopted;
    }

    private static int Append(Span<byte> key, int at, ReadOnlySpan<byte> part)
    {
        part.CopyTo(key[at..]);
        key[at + part.Length] = 0;
        return at + part.Length + 1;
    }

    private void SetTag(HotEnrichment columns, ReadOnlySpan<byte> raw, EnrichmentColumn column)
    {
        if (!raw.IsEmpty && Decode(raw) is { Length: > 0 } value)
        {
            columns.Set(column, value);
        }
    }

    private string? Decoded(ReadOnlySpan<byte> raw) => raw.IsEmpty || Decode(raw) is not { Length: > 0 } value ? null : Encoding.UTF8.GetString(value);

    /// <summary>A query value, percent- and plus-decoded into a scratch buffer; empty when not valid UTF-8.</summary>
    private ReadOnlySpan<byte> Decode(ReadOnlySpan<byte> value)
    {
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
        return Utf8.IsValid(decoded) ? decoded : default;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    /// <summary>The campaign tags, found in one pass over the query string (values as sent).</summary>
    private readonly ref struct QueryTags
    {
        public QueryTags(ReadOnlySpan<byte> query)
        {
            while (!query.IsEmpty)
            {
                var end = query.IndexOf((byte)'&');
                var pair = end < 0 ? query : query[..end];
                query = end < 0 ? default : query[(end + 1)..];
                var equals = pair.IndexOf((byte)'=');
                var name = equals < 0 ? pair : pair[..equals];
                var value = equals < 0 ? default : pair[(equals + 1)..];
                if (name.StartsWith("utm_"u8))
                {
                    var tag = name[4..];
                    // The first of a repeated tag counts, as browsers' URLSearchParams.get does.
                    if (tag.SequenceEqual("source"u8) && Source.IsEmpty)
                    {
                        Source = value;
                    }
                    else if (tag.SequenceEqual("medium"u8) && Medium.IsEmpty)
                    {
                        Medium = value;
                    }
                    else if (tag.SequenceEqual("campaign"u8) && Campaign.IsEmpty)
                    {
                        Campaign = value;
                    }
                    else if (tag.SequenceEqual("term"u8) && Term.IsEmpty)
                    {
                        Term = value;
                    }
                    else if (tag.SequenceEqual("content"u8) && Content.IsEmpty)
                    {
                        Content = value;
                    }
                }
            }
        }

        public ReadOnlySpan<byte> Source { get; }

        public ReadOnlySpan<byte> Medium { get; }

        public ReadOnlySpan<byte> Campaign { get; }

        public ReadOnlySpan<byte> Term { get; }

        public ReadOnlySpan<byte> Content { get; }
    }
}
