using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Weir.Core.Events;

namespace Weir.Lake.Hot;

/// <summary>
/// Decodes canonical log records for the hot table in one <see cref="Utf8JsonReader"/> pass, without allocating: a
/// value is remembered as a range of the record (or, when it had JSON escapes, of a reused buffer holding its
/// unescaped text), so nothing is copied until the appender copies it into DuckDB's chunk.
/// </summary>
/// <remarks>
/// <para>
/// Decoding and appending are separate steps so that the loader can look at a record (its <c>message_id</c> for
/// de-duplication, its <c>properties</c> for schema discovery) before deciding to append it, and so that a record is
/// fully checked before its row is started: a refused record never leaves half a row in the appender.
/// </para>
/// <para>
/// A record is refused when it is not one JSON object of valid UTF-8, when <c>message_id</c>, <c>site_id</c>,
/// <c>type</c>, <c>timestamp</c> or <c>received_at</c> is missing or empty, or when a known key holds a value of the
/// wrong shape (a corrupt or foreign record is set aside rather than loaded with guessed values). A JSON
/// <c>null</c> means absent. Unknown keys are skipped, so newer writers stay loadable. One decoder serves one thread.
/// </para>
/// </remarks>
public sealed class RecordDecoder : IDisposable
{
    private const int InitialScratch = 4096;
    private const int MaxEscapedTimeLength = 64;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };

    private readonly int[] _start = new int[RecordFields.Count];
    private readonly int[] _length = new int[RecordFields.Count];
    private readonly long[] _number = new long[RecordFields.Count];
    private ulong _present;
    private ulong _inScratch;
    private byte[] _scratch = ArrayPool<byte>.Shared.Rent(InitialScratch);
    private int _scratchUsed;
    private int _next;

    /// <summary>Bumped by every decode, so a <see cref="DecodedRecord"/> of an earlier record refuses to be read.</summary>
    internal int Generation { get; private set; }

    /// <summary>
    /// Decodes <paramref name="record"/>. On success <paramref name="decoded"/> reads its values; they stay valid until
    /// the next call (and only while <paramref name="record"/>'s memory is unchanged). On failure
    /// <paramref name="error"/> says why, in a sentence fit for a log line or a dead-letter file.
    /// </summary>
    public bool TryDecode(ReadOnlySpan<byte> record, out DecodedRecord decoded, [NotNullWhen(false)] out string? error)
    {
        ObjectDisposedException.ThrowIf(_scratch.Length == 0, this);
        Generation++;
        _present = 0;
        _inScratch = 0;
        _scratchUsed = 0;
        decoded = default;

        // Checked once for the whole record: every value is then a slice of valid UTF-8 (slices start and end at
        // quotes or brackets) or text the reader unescaped, so the appender's own check can never fail half-way.
        if (!System.Text.Unicode.Utf8.IsValid(record))
        {
            error = "The record is not valid UTF-8.";
            return false;
        }

        try
        {
            error = DecodeCore(record);
        }
        catch (JsonException e)
        {
            error = "The record is not valid JSON: " + e.Message;
        }
        catch (InvalidOperationException e)
        {
            // CopyString on an escape that is not valid UTF-16 (a lone surrogate).
            error = "The record holds an invalid string: " + e.Message;
        }

        if (error is not null)
        {
            _present = 0;
            return false;
        }

        decoded = new DecodedRecord(this, record, Generation);
        return true;
    }

    public void Dispose()
    {
        var scratch = _scratch;
        _scratch = [];
        if (scratch.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    internal bool Has(RecordField field) => (_present & Bit(field)) != 0;

    internal ReadOnlySpan<byte> Utf8(ReadOnlySpan<byte> record, RecordField field)
    {
        var bit = Bit(field);
        if ((_present & bit) == 0)
        {
            return default;
        }

        var i = (int)field;
        return (_inScratch & bit) != 0
            ? _scratch.AsSpan(_start[i], _length[i])
            : record.Slice(_start[i], _length[i]);
    }

    internal long Number(RecordField field) => _number[(int)field];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Bit(RecordField field) => 1UL << (int)field;

    private string? DecodeCore(ReadOnlySpan<byte> record)
    {
        var reader = new Utf8JsonReader(record, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return "The record is not a JSON object.";
        }

        _next = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = Identify(ref reader);
            reader.Read();
            if (field < 0)
            {
                reader.Skip();
                continue;
            }

            if (reader.TokenType == JsonTokenType.Null)
            {
                _present &= ~Bit((RecordField)field);
                continue;
            }

            var ok = RecordFields.Kinds[field] switch
            {
                FieldKind.Time => ReadTime(ref reader, field),
                FieldKind.Int32 => ReadInt32(ref reader, field),
                FieldKind.JsonObject => ReadObject(ref reader, field),
                _ => ReadText(ref reader, field),
            };
            if (!ok)
            {
                return RecordFields.BadValue[field];
            }
        }

        // With the whole record in one span the reader throws on anything incomplete or trailing; this is a backstop.
        if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0 || reader.Read())
        {
            return "The record is not one complete JSON object.";
        }

        return !NonEmpty(RecordField.MessageId) ? "The record has no message_id."
            : !NonEmpty(RecordField.SiteId) ? "The record has no site_id."
            : !NonEmpty(RecordField.Type) ? "The record has no type."
            : !Has(RecordField.Timestamp) ? "The record has no timestamp."
            : !Has(RecordField.ReceivedAt) ? "The record has no received_at."
            : null;
    }

    private bool NonEmpty(RecordField field) => Has(field) && _length[(int)field] > 0;

    private bool ReadText(ref Utf8JsonReader reader, int field)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return false;
        }

        if (!reader.ValueIsEscaped)
        {
            // The value of a string token starts one byte after its opening quote.
            Set(field, (int)reader.TokenStartIndex + 1, reader.ValueSpan.Length, inScratch: false);
            return true;
        }

        // Unescaped text is never longer than its escaped form, so the escaped length is enough room.
        EnsureScratch(reader.ValueSpan.Length);
        var written = reader.CopyString(_scratch.AsSpan(_scratchUsed));
        Set(field, _scratchUsed, written, inScratch: true);
        _scratchUsed += written;
        return true;
    }

    private bool ReadTime(ref Utf8JsonReader reader, int field)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return false;
        }

        long ticks;
        if (!reader.ValueIsEscaped)
        {
            if (!TryParseTicks(reader.ValueSpan, out ticks))
            {
                return false;
            }
        }
        else if (reader.ValueSpan.Length > MaxEscapedTimeLength || !TryEscapedTime(ref reader, out ticks))
        {
            return false;
        }

        _number[field] = ticks;
        _present |= 1UL << field;
        return true;
    }

    private static bool TryParseTicks(ReadOnlySpan<byte> text, out long utcTicks)
    {
        var parsed = EventTime.TryParseIso8601(text, out var value);
        utcTicks = value.UtcTicks;
        return parsed;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryEscapedTime(ref Utf8JsonReader reader, out long ticks)
    {
        Span<byte> text = stackalloc byte[MaxEscapedTimeLength];
        var length = reader.CopyString(text);
        return TryParseTicks(text[..length], out ticks);
    }

    private bool ReadInt32(ref Utf8JsonReader reader, int field)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var value))
        {
            return false;
        }

        _number[field] = value;
        _present |= 1UL << field;
        return true;
    }

    private bool ReadObject(ref Utf8JsonReader reader, int field)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        // The exact bytes of the value, as the client sent them: the JSON column stores text, not a re-serialization.
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        Set(field, start, (int)reader.BytesConsumed - start, inScratch: false);
        return true;
    }

    private void Set(int field, int start, int length, bool inScratch)
    {
        var bit = 1UL << field;
        _start[field] = start;
        _length[field] = length;
        _present |= bit;
        _inScratch = inScratch ? _inScratch | bit : _inScratch & ~bit;
    }

    /// <summary>
    /// The field a key names, or -1. Writers emit keys in <see cref="RecordField"/> order, so the search starts just
    /// after the previous match and a record in writer order costs one comparison per key.
    /// </summary>
    private int Identify(ref Utf8JsonReader reader)
    {
        var names = RecordFields.Names;
        if (reader.ValueIsEscaped)
        {
            return IdentifyEscaped(ref reader);
        }

        var key = reader.ValueSpan;
        var next = _next;
        for (var n = 0; n < names.Length; n++)
        {
            var i = next + n;
            if (i >= names.Length)
            {
                i -= names.Length;
            }

            if (key.SequenceEqual(names[i].EncodedUtf8Bytes))
            {
                _next = i + 1 == names.Length ? 0 : i + 1;
                return i;
            }
        }

        return -1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int IdentifyEscaped(ref Utf8JsonReader reader)
    {
        var names = RecordFields.Names;
        for (var i = 0; i < names.Length; i++)
        {
            if (reader.ValueTextEquals(names[i].EncodedUtf8Bytes))
            {
                return i;
            }
        }

        return -1;
    }

    private void EnsureScratch(int needed)
    {
        if (_scratch.Length - _scratchUsed < needed)
        {
            GrowScratch(needed);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void GrowScratch(int needed)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_scratch.Length * 2, _scratchUsed + needed));
        _scratch.AsSpan(0, _scratchUsed).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_scratch);
        _scratch = bigger;
    }
}
