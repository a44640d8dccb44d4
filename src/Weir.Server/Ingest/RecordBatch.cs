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
    private byte[] _bytes = ArrayPool<byte>.Shared.Rent(16 * 1024);
    private int[] _ends = ArrayPool<int>.Shared.Rent(64);
    private ReadOnlyMemory<byte>[] _records = ArrayPool<ReadOnlyMemory<byte>>.Shared.Rent(64);
    private int _length;

    public int Count { get; private set; }

    public int Bytes => _length;

    public bool TryWrite(ReadOnlySpan<byte> record)
    {
        if (_bytes.Length - _length < record.Length)
        {
            Grow(ref _bytes, _length + record.Length);
        }

        if (Count == _ends.Length)
        {
            Grow(ref _ends, Count + 1);
        }

        record.CopyTo(_bytes.AsSpan(_length));
        _length += record.Length;
        _ends[Count++] = _length;
        return true;
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

    public sealed class Policy : PooledObjectPolicy<RecordBatch>
    {
        private const int MaxKeptBytes = 1 << 20;

        public override RecordBatch Create() => new();

        public override bool Return(RecordBatch batch)
        {
            batch.Reset();
            return batch._bytes.Length <= MaxKeptBytes;
        }
    }
}
