using Weir.Lake.Loading;

namespace Weir.Lake.Tests.Loading;

public sealed class DedupWindowTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static UInt128 Key(int i) => MessageIdHash.Compute("site"u8, System.Text.Encoding.ASCII.GetBytes($"m-{i}"));

    [Fact]
    public void An_id_is_a_duplicate_within_the_window_and_new_after_it()
    {
        using var window = new DedupWindow(_directory.Path, TimeSpan.FromHours(2));
        Assert.True(window.TryAdd(Key(1), T0));
        Assert.False(window.TryAdd(Key(1), T0.AddMinutes(5)));
        Assert.False(window.TryAdd(Key(1), T0.AddHours(2)));
        Assert.True(window.TryAdd(Key(1), T0.AddHours(3)));
        Assert.False(window.TryAdd(Key(1), T0.AddHours(3).AddMinutes(1)));
        Assert.Equal(1, window.Count);
    }

    [Fact]
    public void Growing_far_past_the_first_capacity_keeps_every_id()
    {
        using var window = new DedupWindow(_directory.Path, TimeSpan.FromDays(7), initialCapacity: 16);
        const int Ids = 300_000; // the table grows into huge pages on the way
        for (var i = 0; i < Ids; i++)
        {
            window.Prefetch(Key(i));
            Assert.True(window.TryAdd(Key(i), T0));
        }

        Assert.Equal(Ids, window.Count);
        for (var i = 0; i < Ids; i += 7)
        {
            Assert.False(window.TryAdd(Key(i), T0.AddHours(1)));
        }

        Assert.True(window.TryAdd(Key(Ids), T0.AddHours(1)));
    }

    [Fact]
    public void Persisted_ids_come_back_and_uncommitted_files_are_ignored()
    {
        using (var window = new DedupWindow(_directory.Path, TimeSpan.FromDays(1)))
        {
            for (var i = 0; i < 1000; i++)
            {
                window.TryAdd(Key(i), T0.AddSeconds(i));
            }

            window.Persist(100);
            window.TryAdd(Key(5000), T0);
            window.Persist(200); // above the watermark below: a flush that never committed
        }

        using var reloaded = new DedupWindow(_directory.Path, TimeSpan.FromDays(1));
        reloaded.Load(watermark: 150);
        Assert.Equal(1000, reloaded.Count);
        Assert.False(reloaded.TryAdd(Key(999), T0.AddHours(1)));
        Assert.True(reloaded.TryAdd(Key(5000), T0.AddHours(1)));
    }
}
