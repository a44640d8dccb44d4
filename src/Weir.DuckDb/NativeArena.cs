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
    private int _used;

    /// <summary>Space for at least <paramref name="length"/> bytes; <see cref="Commit"/> says how many were used.</summary>
    public byte* Reserve(int length)
    {
        if (_block < 0 || _blocks[_block].Size - _used < length)
        {
            NextBlock(length);
        }

        return (byte*)_blocks[_block].Pointer + _used;
    }

    public void Commit(int length) => _used += length;

    public void Reset()
    {
        _block = _blocks.Count > 0 ? 0 : -1;
        _used = 0;
    }

    public void Dispose()
    {
        foreach (var (pointer, _) in _blocks)
        {
            NativeMemory.Free((void*)pointer);
        }

        _blocks.Clear();
        _block = -1;
    }

    private void NextBlock(int length)
    {
        // Reuse the next kept block when it is big enough; a larger string gets a block of its own size.
        _block++;
        _used = 0;
        if (_block < _blocks.Count && _blocks[_block].Size >= length)
        {
            return;
        }

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
}
