using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Weir.Core.Memory;

/// <summary>
/// A zeroed array outside the managed heap, for large tables probed at random (the loader's de-duplication window).
/// On Linux it asks for transparent huge pages: with 4 KiB pages nearly every probe of a table of tens of megabytes
/// misses the TLB, and the first touch of every page is a fault, both expensive under virtualisation.
/// </summary>
public sealed unsafe class NativeArray<T> : IDisposable
    where T : unmanaged
{
    private const nuint HugePage = 2 * 1024 * 1024;
    private readonly Memory _memory;

    public NativeArray(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        var bytes = Math.Max((nuint)length * (nuint)sizeof(T), 1);
        var large = bytes >= HugePage;
        var alignment = large ? HugePage : (nuint)64;
        var size = large ? (bytes + HugePage - 1) & ~(HugePage - 1) : bytes;
        _memory = new Memory(NativeMemory.AlignedAlloc(size, alignment));
        if (large && OperatingSystem.IsLinux())
        {
            LinuxMemory.AdviseHugePages(_memory.Pointer, size);
        }

        NativeMemory.Clear(_memory.Pointer, size);
    }

    public int Length { get; }

    public Span<T> Span => new(Pointer, Length);

    public ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((uint)index >= (uint)Length)
            {
                ThrowOutOfRange();
            }

            return ref Pointer[index];
        }
    }

    private T* Pointer
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            ObjectDisposedException.ThrowIf(_memory.IsClosed, this);
            return (T*)_memory.Pointer;
        }
    }

    /// <summary>Asks the CPU to start loading the element's cache line, for a probe a few steps later.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(int index)
    {
        if ((uint)index < (uint)Length)
        {
            CpuCache.Prefetch(ref Pointer[index]);
        }
    }

    public void Dispose() => _memory.Dispose();

    private static void ThrowOutOfRange() => throw new ArgumentOutOfRangeException("index");

    private sealed class Memory(void* pointer) : SafeHandle((nint)pointer, ownsHandle: true)
    {
        public void* Pointer => (void*)handle;

        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle()
        {
            NativeMemory.AlignedFree((void*)handle);
            return true;
        }
    }
}

internal static unsafe partial class LinuxMemory
{
    private const int AdviseHugePage = 14; // MADV_HUGEPAGE

    /// <summary>Only a hint: where huge pages are off, or none are free, the kernel keeps using small ones.</summary>
    public static void AdviseHugePages(void* address, nuint length) => _ = Madvise(address, length, AdviseHugePage);

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
