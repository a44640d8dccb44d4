using System.Buffers;
using Microsoft.Extensions.ObjectPool;
using Weir.Ingest;

namespace Weir.Server.Ingest;

/// <summary>
/// Collects the canonical records of one request in a pooled buffer, so they can go into the log together (one
/// group commit, all or none). Pooled per request; nothing is allocated per event.
/// </summary>
internal sealed class RecordBatch : IRecordSink
{
    private const int InitialBytes = 4 * 1024;
    private byte[] _bytes = ArrayPool<byte>.Shared.Rent(InitialBytes);
    private int[] _ends = ArrayPool<int>.Shared.Rent(16);
    private ReadOnlyMemory<byte>[] _records = ArrayPool<ReadOnlyMemory<byte>>.Shared.Rent(16);
    private int _length;

    public int Count { get; private set; }

    public int Bytes => _length;

    public bool TryWrite(ReadOnlySpan<byte> record)
    {
        Reserve(record.Length);
        if (Count == _ends.Length)
        {
            Grow(ref _ends, Count + 1);
        }

        record.CopyTo(_bytes.AsSpan(_length));
        _length += record.Length;
        _ends[Count++] = _length;
        return true;
    }

    /// <summary>
    /// Makes room for about <paramref name="bytes"/> of records before parsing, so a large batch takes one buffer of
    /// the right size from the shared pool instead of growing through every size on the way.
    /// </summary>
    public void Reserve(int bytes)
    {
        if (_bytes.Length - _length < bytes)
        {
            Grow(ref _bytes, _length + bytes);
        }
    }

    /// <summary>The records as slices of the buffer, valid until the batch is reset.</summary>
    public ReadOnlyMemory<ReadOnlyMemory<byte>> Records()
    {
        if (_records.Length < Count)
        {
            ArrayPool<ReadOnlyMemory<byte>>.Shared.Return(_records, clearArray: true);
            _records = ArrayPool<ReadOnlyMemory<byte>>.Shared.Rent(Count);
        }

        var start = 0;
        for (var i = 0; i < Count; i++)
        {
            _records[i] = _bytes.AsMemory(start, _ends[i] - start);
            start = _ends[i];
        }

        return _records.AsMemory(0, Count);
    }

    public void Reset()
    {
        Array.Clear(_records, 0, Math.Min(Count, _records.Length));
        _length = 0;
        Count = 0;
    }

    private static void Grow<T>(ref T[] array, int needed)
    {
        var larger = ArrayPool<T>.Shared.Rent(Math.Max(needed, array.Length * 2));
        array.AsSpan().CopyTo(larger);
        ArrayPool<T>.Shared.Return(array);
        array = larger;
    }

    /// <summary>
    /// Keeps every batch but not its growth: a batch that held a large request gives its large buffer back to the
    /// shared array pool (which keeps a few of each size for the next large request), so a thousand pooled batches stay
    /// small, a few KB each, however large past requests were.
    /// </summary>
    public sealed class Policy : PooledObjectPolicy<RecordBatch>
    {
        private const int MaxKeptBytes = 16 * 1024;

        public override RecordBatch Create() => new();

        public override bool Return(RecordBatch batch)
        {
            batch.Reset();
            if (batch._bytes.Length > MaxKeptBytes)
            {
                ArrayPool<byte>.Shared.Return(batch._bytes);
                batch._bytes = ArrayPool<byte>.Shared.Rent(InitialBytes);
            }

            return true;
        }
    }
}
