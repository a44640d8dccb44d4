namespace Weir.Enrichment;

/// <summary>
/// A bounded cache keyed by UTF-8 bytes, for the enricher's hot path: the caller hashes the key once (and may use the
/// hash for more than the lookup), the hash finds the entry and the stored bytes confirm it, so a hit allocates
/// nothing and transcodes nothing. When full it is emptied: the next hour's traffic refills it with what is current.
/// </summary>
/// <remarks>Two keys with the same hash share a slot; the later one replaces the earlier. Not thread-safe.</remarks>
internal sealed class Utf8KeyCache<T>
{
    private readonly Dictionary<ulong, Entry> _entries = [];
    private readonly int _capacity;

    private readonly bool _enabled;

    /// <param name="capacity">Entries kept before the cache is emptied.</param>
    /// <param name="enabled">False makes every lookup a miss (the benchmark's comparison without caches).</param>
    public Utf8KeyCache(int capacity, bool enabled = true)
    {
        _capacity = capacity;
        _enabled = enabled;
    }

    public bool TryGet(ReadOnlySpan<byte> key, ulong hash, out T value)
    {
        if (_enabled && _entries.TryGetValue(hash, out var entry) && key.SequenceEqual(entry.Key))
        {
            value = entry.Value;
            return true;
        }

        value = default!;
        return false;
    }

    public void Add(ReadOnlySpan<byte> key, ulong hash, T value)
    {
        if (!_enabled)
        {
            return;
        }

        if (_entries.Count >= _capacity)
        {
            _entries.Clear();
        }

        _entries[hash] = new Entry(key.ToArray(), value);
    }

    public void Clear() => _entries.Clear();

    private readonly record struct Entry(byte[] Key, T Value);
}
