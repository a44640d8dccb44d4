using System.Buffers.Binary;
using System.IO.Hashing;

namespace Weir.Enrichment;

/// <summary>
/// A bounded cache keyed by UTF-8 bytes, for the enricher's hot path: a hit allocates nothing and transcodes nothing,
/// and gives the key's 64-bit XxHash3 as well, which the caller may use for more than the lookup (the visitor id
/// hashes the user agent's). When full it is emptied: the next hour's traffic refills it with what is current.
/// </summary>
/// <remarks>
/// <para>
/// Two levels. The front is a small direct-mapped table of the keys used last, whose slot is chosen by three words of
/// the key and its length instead of a hash of every byte: a hit there costs a comparison of the key with the stored
/// copy, and its hash was stored with it. A user agent is a hundred bytes or more, and most of an hour's events come
/// from a few dozen of them, so this skips most of the hashing. Behind it a dictionary by the full XxHash3 holds every
/// key; a front miss (a key seen less often, or two keys that share a slot) costs the hash and that lookup, which is
/// what every lookup cost before the front existed. Keys shorter than 16 bytes skip the front.
/// </para>
/// <para>In the dictionary, two keys with the same hash share a slot; the later one replaces the earlier. Not thread-safe.</para>
/// </remarks>
internal sealed class Utf8KeyCache<T>
{
    private const int FrontBits = 10;
    private const int FrontMinimum = 16;

    private readonly Dictionary<ulong, Entry> _entries = [];
    private readonly Front[] _front = new Front[1 << FrontBits];
    private readonly int _capacity;

    private readonly bool _enabled;

    /// <param name="capacity">Entries kept before the cache is emptied.</param>
    /// <param name="enabled">False makes every lookup a miss (the benchmark's comparison without caches).</param>
    public Utf8KeyCache(int capacity, bool enabled = true)
    {
        _capacity = capacity;
        _enabled = enabled;
    }

    /// <summary>
    /// Finds <paramref name="key"/>; <paramref name="hash"/> is its XxHash3 either way (pass it to <see cref="Add"/> on a miss).
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> key, out T value, out ulong hash)
    {
        var front = _enabled && key.Length >= FrontMinimum ? FrontSlot(key) : -1;
        if (front >= 0 && _front[front] is { Key: { } stored } slot && key.SequenceEqual(stored))
        {
            value = slot.Value;
            hash = slot.Hash;
            return true;
        }

        hash = XxHash3.HashToUInt64(key);
        if (_enabled && _entries.TryGetValue(hash, out var entry) && key.SequenceEqual(entry.Key))
        {
            if (front >= 0)
            {
                _front[front] = new Front(entry.Key, hash, entry.Value);
            }

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
            Clear();
        }

        var stored = key.ToArray();
        _entries[hash] = new Entry(stored, value);
        if (key.Length >= FrontMinimum)
        {
            _front[FrontSlot(key)] = new Front(stored, hash, value);
        }
    }

    public void Clear()
    {
        _entries.Clear();
        Array.Clear(_front);
    }

    /// <summary>
    /// The front slot of a key of at least 16 bytes: its last word, the words at a half and a quarter of its length, and
    /// the length, mixed by multiplications. User agents share long prefixes; versions sit in the middle and at the end.
    /// </summary>
    private static int FrontSlot(ReadOnlySpan<byte> key)
    {
        var n = key.Length;
        var h = (BinaryPrimitives.ReadUInt64LittleEndian(key[(n - 8)..]) ^ (ulong)n) * 0x9E3779B97F4A7C15UL;
        h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(key[(n >> 1)..]) ^ (h >> 29)) * 0xBF58476D1CE4E5B9UL;
        h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(key[(n >> 2)..]) ^ (h >> 32)) * 0x94D049BB133111EBUL;
        return (int)(h >> (64 - FrontBits));
    }

    private readonly record struct Entry(byte[] Key, T Value);

    private readonly record struct Front(byte[]? Key, ulong Hash, T Value);
}
