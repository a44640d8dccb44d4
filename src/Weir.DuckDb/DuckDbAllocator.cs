using System.Text;
using Weir.DuckDb.Native;

namespace Weir.DuckDb;

/// <summary>
/// Tuning of the memory allocator compiled into DuckDB's library (jemalloc, with its symbols prefixed
/// <c>duckdb_je_</c>), which the C API does not reach.
/// </summary>
/// <remarks>
/// DuckDB sets jemalloc to give freed memory back to the kernel about a second after it was freed. A process that
/// frees and reallocates hundreds of megabytes every few seconds (the lake's hot table and its appenders' buffers)
/// then touches fresh pages all the time, and on a virtual machine each first touch of a 4 KiB page is a costly page
/// fault: it was most of the loader's time. A longer purge delay lets that memory be reused instead, at the price of a
/// resident size that falls back later.
/// </remarks>
public static unsafe class DuckDbAllocator
{
    private const string MallctlSymbol = "duckdb_je_mallctl";

    /// <summary>
    /// Sets how long jemalloc keeps freed memory before returning it to the kernel (its dirty and muzzy decay), for the
    /// arenas that exist and those made later. Returns false when the library has no jemalloc (builds for other
    /// platforms) or refuses the value; nothing else changes then.
    /// </summary>
    /// <param name="delay">At least zero; <see cref="Timeout.InfiniteTimeSpan"/> keeps freed memory for good.</param>
    public static bool TrySetPurgeDelay(TimeSpan delay)
    {
        if (delay < TimeSpan.Zero && delay != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay, "The purge delay must be zero or more, or infinite.");
        }

        if (!TryGetMallctl(out var mallctl))
        {
            return false;
        }

        var milliseconds = delay == Timeout.InfiniteTimeSpan ? -1 : (long)Math.Min(delay.TotalMilliseconds, int.MaxValue);
        var ok = Set(mallctl, "arenas.dirty_decay_ms", milliseconds) & Set(mallctl, "arenas.muzzy_decay_ms", milliseconds);

        uint arenas = 0;
        var length = (nuint)sizeof(uint);
        if (Call(mallctl, "arenas.narenas", &arenas, &length, null, 0) != 0)
        {
            return false;
        }

        // Arenas not yet in use answer EFAULT; they take the defaults set above when they start.
        for (var i = 0; i < arenas; i++)
        {
            Set(mallctl, $"arena.{i}.dirty_decay_ms", milliseconds);
            Set(mallctl, $"arena.{i}.muzzy_decay_ms", milliseconds);
        }

        return ok;
    }

    /// <summary>The delay set for arenas started from now on, or null when the library has no jemalloc.</summary>
    public static TimeSpan? PurgeDelay
    {
        get
        {
            if (!TryGetMallctl(out var mallctl))
            {
                return null;
            }

            long milliseconds = 0;
            var length = (nuint)sizeof(long);
            if (Call(mallctl, "arenas.dirty_decay_ms", &milliseconds, &length, null, 0) != 0)
            {
                return null;
            }

            return milliseconds < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(milliseconds);
        }
    }

    private static bool TryGetMallctl(out delegate* unmanaged<byte*, void*, nuint*, void*, nuint, int> mallctl)
    {
        var found = DuckDbNativeLibrary.TryGetExport(MallctlSymbol, out var address);
        mallctl = (delegate* unmanaged<byte*, void*, nuint*, void*, nuint, int>)address;
        return found;
    }

    private static bool Set(delegate* unmanaged<byte*, void*, nuint*, void*, nuint, int> mallctl, string name, long value) =>
        Call(mallctl, name, null, null, &value, (nuint)sizeof(long)) == 0;

    private static int Call(delegate* unmanaged<byte*, void*, nuint*, void*, nuint, int> mallctl, string name, void* old, nuint* oldLength, void* value, nuint valueLength)
    {
        Span<byte> utf8 = stackalloc byte[64];
        var length = Encoding.ASCII.GetBytes(name, utf8);
        utf8[length] = 0;
        fixed (byte* text = utf8)
        {
            return mallctl(text, old, oldLength, value, valueLength);
        }
    }
}
