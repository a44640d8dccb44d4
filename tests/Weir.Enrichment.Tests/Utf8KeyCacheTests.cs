using System.IO.Hashing;
using System.Text;

namespace Weir.Enrichment.Tests;

public sealed class Utf8KeyCacheTests
{
    [Fact]
    public void Every_key_finds_its_own_value_and_hash_even_where_keys_share_a_front_slot()
    {
        // Five thousand keys for a front of a thousand slots: many share one, and each lookup must still confirm the
        // whole key. Short keys (under 16 bytes) skip the front.
        var keys = Enumerable.Range(0, 5000)
            .Select(i => i % 10 == 0 ? $"k{i}" : $"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/{i}.0.0.0 Safari/537.36")
            .Select(Encoding.UTF8.GetBytes)
            .ToArray();
        var cache = new Utf8KeyCache<int>(capacity: 10_000);
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.False(cache.TryGet(keys[i], out _, out var hash));
            Assert.Equal(XxHash3.HashToUInt64(keys[i]), hash);
            cache.Add(keys[i], hash, i);
        }

        // Twice: the first pass finds keys in the dictionary (and moves them to the front), the second mostly in the front.
        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = keys.Length - 1; i >= 0; i--)
            {
                Assert.True(cache.TryGet(keys[i], out var value, out var hash));
                Assert.Equal(i, value);
                Assert.Equal(XxHash3.HashToUInt64(keys[i]), hash);
            }
        }

        // A key that differs from a cached one only where the front does not look is still told apart.
        var lookalike = (byte[])keys[1].Clone();
        lookalike[3] = (byte)'X';
        Assert.False(cache.TryGet(lookalike, out _, out _));
    }

    [Fact]
    public void A_full_cache_starts_over_and_a_disabled_one_never_hits()
    {
        var cache = new Utf8KeyCache<int>(capacity: 2);
        var keys = new[] { "first user agent string", "second user agent string", "third user agent string" }.Select(Encoding.UTF8.GetBytes).ToArray();
        for (var i = 0; i < keys.Length; i++)
        {
            cache.TryGet(keys[i], out _, out var hash);
            cache.Add(keys[i], hash, i);
        }

        // The third Add found the cache full and emptied it, front included.
        Assert.False(cache.TryGet(keys[0], out _, out _));
        Assert.True(cache.TryGet(keys[2], out var third, out _));
        Assert.Equal(2, third);

        var disabled = new Utf8KeyCache<int>(capacity: 10, enabled: false);
        disabled.TryGet(keys[0], out _, out var h);
        disabled.Add(keys[0], h, 1);
        Assert.False(disabled.TryGet(keys[0], out _, out _));
    }
}
