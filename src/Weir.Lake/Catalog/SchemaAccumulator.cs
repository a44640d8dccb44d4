using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Weir.Lake.Catalog;

/// <summary>
/// Counts the event names and top-level property keys of the events a loader thread writes, to be merged into the
/// catalog in the same commit as the files that hold those events. It sits on the loader's per-event path, so a
/// name it has seen before costs a hash lookup over its UTF-8 bytes and no allocation; strings are made once per
/// distinct name, when merging. Not thread-safe: one per loader thread.
/// </summary>
/// <remarks>
/// The caps apply per site to the accumulator as to the catalog. When one batch alone brings more distinct keys than
/// the cap, the keys seen after the cap count as overflow even if the catalog already knows them; only sites whose
/// keys are unbounded (ids in key names) get there, and for them the overflow counter is what matters.
/// </remarks>
public sealed class SchemaAccumulator
{
    public const int MaxEventNamesPerSite = 10_000;
    public const int MaxPropertyKeysPerSite = 1_000;

    private static readonly string[] TypeNames =
    [
        JsonTypeNames.String, JsonTypeNames.Number, JsonTypeNames.Boolean, JsonTypeNames.Object, JsonTypeNames.Array, JsonTypeNames.Null,
    ];

    private readonly Dictionary<string, SiteTally> _sites = new(StringComparer.Ordinal);
    private readonly List<PendingKey> _pending = [];
    private string? _lastSiteId;
    private SiteTally? _lastSite;
    private byte[] _names = new byte[256];
    private int _namesLength;
    private byte[] _unescaped = new byte[64];

    /// <summary>Counts one event.</summary>
    /// <param name="siteId">The site the event belongs to.</param>
    /// <param name="eventName">The event name as UTF-8; empty for calls without one (page, identify), whose properties are still counted.</param>
    /// <param name="propertiesJson">A JSON object's UTF-8 text, or empty. Anything else records no properties and does not throw.</param>
    /// <param name="timestamp">The event's time, for first and last seen.</param>
    public void Observe(string siteId, ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> propertiesJson, DateTimeOffset timestamp)
    {
        var site = SiteFor(siteId);
        var ticks = timestamp.UtcTicks;
        if (!eventName.IsEmpty)
        {
            site.CountEvent(eventName, ticks);
        }

        if (!propertiesJson.IsEmpty && ReadKeys(site, propertiesJson))
        {
            CountKeys(site, ticks);
        }
    }

    /// <summary>
    /// Returns <paramref name="snapshot"/> with everything counted since the last merge added to its schemas, and
    /// starts counting afresh. Call it inside <see cref="CatalogStore.Commit"/>; if that commit then fails, the
    /// counts are gone with it, which is right when the loader replays the batch from the watermark.
    /// </summary>
    public CatalogSnapshot MergeInto(CatalogSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (_sites.Count == 0)
        {
            return snapshot;
        }

        var sites = new Dictionary<string, SiteSchema>(snapshot.Sites, StringComparer.Ordinal);
        foreach (var (siteId, tally) in _sites)
        {
            sites[siteId] = Merge(sites.GetValueOrDefault(siteId) ?? SiteSchema.Empty, tally);
        }

        _sites.Clear();
        _lastSiteId = null;
        _lastSite = null;
        return snapshot with { Sites = new CatalogMap<SiteSchema>(sites) };
    }

    private SiteTally SiteFor(string siteId)
    {
        if (_lastSite is not null && string.Equals(siteId, _lastSiteId, StringComparison.Ordinal))
        {
            return _lastSite;
        }

        if (!_sites.TryGetValue(siteId, out var site))
        {
            LakeLayout.CheckSiteId(siteId);
            site = new SiteTally();
            _sites.Add(siteId, site);
        }

        _lastSiteId = siteId;
        _lastSite = site;
        return site;
    }

    // Reads the whole object before counting anything, so a document that turns out to be invalid halfway through
    // leaves no trace. Keys already known are resolved to their tally; new ones are kept as bytes until the end.
    private bool ReadKeys(SiteTally site, ReadOnlySpan<byte> json)
    {
        _pending.Clear();
        _namesLength = 0;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueIsEscaped ? Unescape(ref reader) : reader.ValueSpan;
                var pending = site.KeysByBytes.TryGetValue(name, out var known)
                    ? new PendingKey(known, 0, 0, 0)
                    : new PendingKey(null, AppendName(name), name.Length, 0);

                reader.Read();
                pending.Type = reader.TokenType switch
                {
                    JsonTokenType.String => 0,
                    JsonTokenType.Number => 1,
                    JsonTokenType.True or JsonTokenType.False => 2,
                    JsonTokenType.StartObject => 3,
                    JsonTokenType.StartArray => 4,
                    _ => 5,
                };
                if (pending.Type is 3 or 4)
                {
                    reader.Skip();
                }

                _pending.Add(pending);
            }

            // The loop ends on the object's end; anything after it but whitespace makes Read throw.
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false; // an escape that decodes to invalid UTF-16 (a lone surrogate)
        }
    }

    private void CountKeys(SiteTally site, long ticks)
    {
        foreach (ref readonly var pending in CollectionsMarshal.AsSpan(_pending))
        {
            var tally = pending.Known;
            if (tally is null)
            {
                var name = _names.AsSpan(pending.NameStart, pending.NameLength);
                if (!site.KeysByBytes.TryGetValue(name, out tally))
                {
                    if (site.Keys.Count >= MaxPropertyKeysPerSite)
                    {
                        site.OverflowKeys++;
                        continue;
                    }

                    tally = new KeyTally();
                    site.Keys.Add(name.ToArray(), tally);
                }
            }

            tally.Add(ticks);
            tally.Types[pending.Type]++;
        }
    }

    private ReadOnlySpan<byte> Unescape(ref Utf8JsonReader reader)
    {
        if (_unescaped.Length < reader.ValueSpan.Length)
        {
            _unescaped = new byte[Math.Max(reader.ValueSpan.Length, _unescaped.Length * 2)];
        }

        return _unescaped.AsSpan(0, reader.CopyString(_unescaped));
    }

    private int AppendName(ReadOnlySpan<byte> name)
    {
        if (_names.Length - _namesLength < name.Length)
        {
            Array.Resize(ref _names, Math.Max(_namesLength + name.Length, _names.Length * 2));
        }

        var start = _namesLength;
        name.CopyTo(_names.AsSpan(start));
        _namesLength += name.Length;
        return start;
    }

    private static SiteSchema Merge(SiteSchema schema, SiteTally tally)
    {
        var events = new Dictionary<string, EventStats>(schema.Events, StringComparer.Ordinal);
        var overflowEvents = schema.OverflowEvents + tally.OverflowEvents;
        foreach (var (nameBytes, counted) in tally.Events)
        {
            // Distinct byte strings can decode to one string (invalid UTF-8 becomes U+FFFD), so counts are added.
            var name = Encoding.UTF8.GetString(nameBytes);
            if (events.TryGetValue(name, out var seen))
            {
                events[name] = new EventStats { Count = seen.Count + counted.Count, FirstSeen = Min(seen.FirstSeen, counted.First), LastSeen = Max(seen.LastSeen, counted.Last) };
            }
            else if (events.Count < MaxEventNamesPerSite)
            {
                events.Add(name, new EventStats { Count = counted.Count, FirstSeen = Time(counted.First), LastSeen = Time(counted.Last) });
            }
            else
            {
                overflowEvents += counted.Count;
            }
        }

        var properties = new Dictionary<string, PropertyStats>(schema.Properties, StringComparer.Ordinal);
        var overflowKeys = schema.OverflowKeys + tally.OverflowKeys;
        foreach (var (keyBytes, counted) in tally.Keys)
        {
            var key = Encoding.UTF8.GetString(keyBytes);
            if (properties.TryGetValue(key, out var seen))
            {
                properties[key] = new PropertyStats
                {
                    Count = seen.Count + counted.Count,
                    FirstSeen = Min(seen.FirstSeen, counted.First),
                    LastSeen = Max(seen.LastSeen, counted.Last),
                    Types = AddTypes(seen.Types, counted.Types),
                };
            }
            else if (properties.Count < MaxPropertyKeysPerSite)
            {
                properties.Add(key, new PropertyStats
                {
                    Count = counted.Count,
                    FirstSeen = Time(counted.First),
                    LastSeen = Time(counted.Last),
                    Types = AddTypes(CatalogMap<long>.Empty, counted.Types),
                });
            }
            else
            {
                overflowKeys += counted.Count;
            }
        }

        return new SiteSchema
        {
            Events = new CatalogMap<EventStats>(events),
            Properties = new CatalogMap<PropertyStats>(properties),
            OverflowEvents = overflowEvents,
            OverflowKeys = overflowKeys,
        };
    }

    private static CatalogMap<long> AddTypes(IReadOnlyDictionary<string, long> seen, long[] counted)
    {
        var types = new Dictionary<string, long>(seen, StringComparer.Ordinal);
        for (var i = 0; i < counted.Length; i++)
        {
            if (counted[i] != 0)
            {
                types[TypeNames[i]] = types.GetValueOrDefault(TypeNames[i]) + counted[i];
            }
        }

        return new CatalogMap<long>(types);
    }

    private static DateTimeOffset Time(long utcTicks) => new(utcTicks, TimeSpan.Zero);

    private static DateTimeOffset Min(DateTimeOffset seen, long utcTicks) => seen.UtcTicks <= utcTicks ? seen : Time(utcTicks);

    private static DateTimeOffset Max(DateTimeOffset seen, long utcTicks) => seen.UtcTicks >= utcTicks ? seen : Time(utcTicks);

    private struct PendingKey(KeyTally? known, int nameStart, int nameLength, int type)
    {
        public readonly KeyTally? Known = known;
        public readonly int NameStart = nameStart;
        public readonly int NameLength = nameLength;
        public int Type = type;
    }

    private class Tally
    {
        public long Count;
        public long First = long.MaxValue;
        public long Last = long.MinValue;

        public void Add(long utcTicks)
        {
            Count++;
            First = Math.Min(First, utcTicks);
            Last = Math.Max(Last, utcTicks);
        }
    }

    private sealed class KeyTally : Tally
    {
        public readonly long[] Types = new long[TypeNames.Length];
    }

    private sealed class SiteTally
    {
        public SiteTally()
        {
            EventsByBytes = Events.GetAlternateLookup<ReadOnlySpan<byte>>();
            KeysByBytes = Keys.GetAlternateLookup<ReadOnlySpan<byte>>();
        }

        public Dictionary<byte[], Tally> Events { get; } = new(Utf8Comparer.Instance);

        public Dictionary<byte[], KeyTally> Keys { get; } = new(Utf8Comparer.Instance);

        public Dictionary<byte[], Tally>.AlternateLookup<ReadOnlySpan<byte>> EventsByBytes { get; }

        public Dictionary<byte[], KeyTally>.AlternateLookup<ReadOnlySpan<byte>> KeysByBytes { get; }

        public long OverflowEvents { get; set; }

        public long OverflowKeys { get; set; }

        public void CountEvent(ReadOnlySpan<byte> name, long utcTicks)
        {
            if (!EventsByBytes.TryGetValue(name, out var tally))
            {
                if (Events.Count >= MaxEventNamesPerSite)
                {
                    OverflowEvents++;
                    return;
                }

                tally = new Tally();
                Events.Add(name.ToArray(), tally);
            }

            tally.Add(utcTicks);
        }
    }

    /// <summary>Compares names as UTF-8 bytes, and lets a dictionary keyed by byte arrays be searched with a span.</summary>
    private sealed class Utf8Comparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly Utf8Comparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode(obj.AsSpan());

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        // HashCode is seeded per process, so senders cannot choose names that collide.
        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = default(HashCode);
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
