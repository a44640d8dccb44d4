using System.Buffers;
using System.Text.Json;
using Weir.Core.Events;

namespace Weir.Ingest.Internal;

/// <summary>
/// Per-thread reusable state of a parse: the record buffer and its writer, a second pair for values built on the
/// fly (pixel properties), and an arena for unescaped strings. Renting takes it off the thread so a re-entrant parse
/// (a sink that parses) gets its own.
/// </summary>
internal sealed class IngestScratch
{
    private const int KeepCapacity = 256 * 1024;

    [ThreadStatic]
    private static IngestScratch? _cached;

    private byte[] _arena = [];
    private int _arenaUsed;

    private IngestScratch()
    {
        Record = new PooledBufferWriter(4096);
        RecordWriter = new Utf8JsonWriter(Record, CanonicalEventWriter.WriterOptions);
        Value = new PooledBufferWriter(1024);
        ValueWriter = new Utf8JsonWriter(Value, CanonicalEventWriter.WriterOptions);
    }

    public PooledBufferWriter Record { get; }

    public Utf8JsonWriter RecordWriter { get; }

    public PooledBufferWriter Value { get; }

    public Utf8JsonWriter ValueWriter { get; }

    /// <summary>Offsets of context keys during a merge (start, length pairs).</summary>
    public int[] KeyOffsets { get; private set; } = [];

    public static IngestScratch Rent()
    {
        var scratch = _cached ?? new IngestScratch();
        _cached = null;
        return scratch;
    }

    public static void Return(IngestScratch scratch)
    {
        scratch.Record.Clear();
        scratch.Record.Shrink(KeepCapacity);
        scratch.Value.Clear();
        scratch.Value.Shrink(KeepCapacity);
        if (scratch._arena.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(scratch._arena);
            scratch._arena = [];
        }

        scratch._arenaUsed = 0;
        _cached = scratch;
    }

    /// <summary>Makes sure the arena holds at least <paramref name="bytes"/> (called once per body, before use).</summary>
    public void ReserveArena(int bytes)
    {
        if (_arena.Length < bytes)
        {
            if (_arena.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_arena);
            }

            _arena = ArrayPool<byte>.Shared.Rent(Math.Max(bytes, 256));
            _arenaUsed = 0;
        }
    }

    public int ArenaMark => _arenaUsed;

    public void ResetArena(int mark) => _arenaUsed = mark;

    /// <summary>Takes <paramref name="length"/> bytes of the arena; null when it is full (the caller fails the field).</summary>
    public Span<byte> TakeArena(int length)
    {
        if (_arena.Length - _arenaUsed < length)
        {
            return default;
        }

        var span = _arena.AsSpan(_arenaUsed, length);
        _arenaUsed += length;
        return span;
    }

    /// <summary>Gives back the unused tail of the last <see cref="TakeArena"/>.</summary>
    public void ReturnArena(int unused) => _arenaUsed -= unused;

    public int[] RentKeyOffsets(int count)
    {
        if (KeyOffsets.Length < count)
        {
            KeyOffsets = new int[Math.Max(count, 64)];
        }

        return KeyOffsets;
    }

    public void ResetWriters()
    {
        Record.Clear();
        RecordWriter.Reset(Record);
        Value.Clear();
        ValueWriter.Reset(Value);
    }
}
