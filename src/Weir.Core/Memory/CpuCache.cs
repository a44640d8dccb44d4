using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Weir.Core.Memory;

/// <summary>Hints to the CPU's caches, for lookups in tables too large to stay in them.</summary>
public static unsafe class CpuCache
{
    /// <summary>
    /// Asks the CPU to start loading the cache line of <paramref name="element"/>, for a read a little later. Only a
    /// hint: it never faults, and an element that the GC moves meanwhile is merely not fetched.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch<T>(ref T element)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref element));
        }
    }
}
