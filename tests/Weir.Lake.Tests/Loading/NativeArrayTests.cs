using Weir.Core.Memory;

namespace Weir.Lake.Tests.Loading;

/// <summary>The de-duplication window's table; in Weir.Core, tested where it is used.</summary>
public sealed class NativeArrayTests
{
    private record struct Pair(ulong A, ulong B);

    [Theory]
    [InlineData(2)]
    [InlineData(1000)]
    [InlineData(3 << 20)] // 48 MiB: huge pages where the kernel gives them
    public void Starts_zeroed_and_keeps_what_is_written(int length)
    {
        using var array = new NativeArray<Pair>(length);
        Assert.Equal(length, array.Length);
        Assert.Equal(length, array.Span.Length);
        Assert.True(array.Span.IndexOfAnyExcept(default(Pair)) < 0);
        array[0] = new Pair(1, 2);
        array[length - 1] = new Pair(3, 4);
        array.Prefetch(length / 2);
        array.Prefetch(length); // out of range: ignored, it is only a hint
        Assert.Equal(new Pair(1, 2), array.Span[0]);
        Assert.Equal(new Pair(3, 4), array[length - 1]);
    }

    [Fact]
    public void Indexes_outside_it_and_use_after_dispose_throw()
    {
        var array = new NativeArray<long>(4);
        Assert.Throws<ArgumentOutOfRangeException>(() => array[4]);
        Assert.Throws<ArgumentOutOfRangeException>(() => array[-1]);
        array.Dispose();
        array.Dispose();
        Assert.Throws<ObjectDisposedException>(() => array[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new NativeArray<long>(-1));
    }
}
