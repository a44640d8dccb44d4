using System.Collections;

namespace Weir.Log;

/// <summary>A record read from the log: its position, the position after it, and its payload.</summary>
/// <remarks>The payload points into the reader's buffer and stays valid only until the reader's next read.</remarks>
public readonly record struct LogRecord(long Position, long NextPosition, ReadOnlyMemory<byte> Payload);

/// <summary>
/// Records returned by one read, in log order. The batch belongs to its reader and is reused: it (and every payload in
/// it) is valid until the reader's next read or disposal.
/// </summary>
public sealed class LogRecordBatch : IReadOnlyList<LogRecord>
{
    private LogRecord[] _records = new LogRecord[64];

    internal LogRecordBatch()
    {
    }

    /// <summary>How many records the batch holds; 0 when there was nothing to read.</summary>
    public int Count { get; private set; }

    /// <summary>The position after the batch's last record (where the next read starts), or the read position if empty.</summary>
    public long NextPosition { get; internal set; }

    public LogRecord this[int index] =>
        (uint)index < (uint)Count ? _records[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The records as a span, without copying.</summary>
    public ReadOnlySpan<LogRecord> AsSpan() => _records.AsSpan(0, Count);

    public ReadOnlySpan<LogRecord>.Enumerator GetEnumerator() => AsSpan().GetEnumerator();

    IEnumerator<LogRecord> IEnumerable<LogRecord>.GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return _records[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<LogRecord>)this).GetEnumerator();

    internal void Clear(long position)
    {
        Count = 0;
        NextPosition = position;
    }

    internal void Add(in LogRecord record)
    {
        if (Count == _records.Length)
        {
            Array.Resize(ref _records, _records.Length * 2);
        }

        _records[Count++] = record;
        NextPosition = record.NextPosition;
    }
}
