using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Weir.DuckDb;

/// <summary>
/// Native memory for the bytes of long strings while a data chunk is being filled. Blocks never move, so a pointer
/// written into a vector stays good until <see cref="Reset"/>; DuckDB copies the bytes when the chunk is appended.
/// </summary>
internal sealed unsafe class NativeArena : IDisposable
{
    private const int BlockSize = 256 * 1024;

    private readonly List<(IntPtr Pointer, int Size)> _blocks = [];
    private int _block = -1;
    private byte* _next;
    private int _left;

    /// <summary>Space for at least <paramref name="length"/> bytes; <see cref="Commit"/> says how many were used.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* Reserve(int length)
    {
        if (_left < length)
        {
            NextBlock(length);
        }

        return _next;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Commit(int length)
    {
        _next += length;
        _left -= length;
    }

    public void Reset()
    {
        _block = -1;
        _next = null;
        _left = 0;
    }

    public void Dispose()
    {
        foreach (var (pointer, _) in _blocks)
        {
            NativeMemory.Free((void*)pointer);
        }

        _blocks.Clear();
        Reset();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NextBlock(int length)
    {
        // Reuse the next kept block when it is big enough; a larger string gets a block of its own size.
        _block++;
        if (_block >= _blocks.Count || _blocks[_block].Size < length)
        {
            var size = Math.Max(BlockSize, length);
            var pointer = (IntPtr)NativeMemory.Alloc((nuint)size);
            if (_block < _blocks.Count)
            {
                NativeMemory.Free((void*)_blocks[_block].Pointer);
                _blocks[_block] = (pointer, size);
            }
            else
            {
                _blocks.Add((pointer, size));
            }
        }

        _next = (byte*)_blocks[_block].Pointer;
        _left = _blocks[_block].Size;
    }
}
