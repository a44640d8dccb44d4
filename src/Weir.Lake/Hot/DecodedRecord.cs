using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Weir.Lake.Hot;

/// <summary>
/// The values of the record a <see cref="RecordDecoder"/> has just decoded, as UTF-8 spans over the record (or over
/// the decoder's buffer of unescaped text). It is a <c>ref struct</c> so it cannot outlive the record's span; reading
/// it after the decoder has moved on to another record throws, rather than returning the other record's bytes.
/// </summary>
/// <remarks>Absent fields and JSON <c>null</c> read as an empty span (text) or null (times, numbers).</remarks>
public readonly ref struct DecodedRecord
{
    private readonly RecordDecoder? _decoder;
    private readonly ReadOnlySpan<byte> _record;
    private readonly int _generation;

    internal DecodedRecord(RecordDecoder decoder, ReadOnlySpan<byte> record, int generation)
    {
        _decoder = decoder;
        _record = record;
        _generation = generation;
    }

    /// <summary>The whole record, as given to the decoder (for setting it aside or re-reading it).</summary>
    public ReadOnlySpan<byte> Record
    {
        get
        {
            _ = Decoder;
            return _record;
        }
    }

    /// <summary>The de-duplication key (with <see cref="SiteId"/>); never empty.</summary>
    public ReadOnlySpan<byte> MessageId => GetUtf8(RecordField.MessageId);

    /// <summary>Never empty.</summary>
    public ReadOnlySpan<byte> SiteId => GetUtf8(RecordField.SiteId);

    /// <summary>The type's name (<c>track</c>, <c>page</c>…); never empty.</summary>
    public ReadOnlySpan<byte> Type => GetUtf8(RecordField.Type);

    /// <summary>The event name; empty when the record has none.</summary>
    public ReadOnlySpan<byte> Event => GetUtf8(RecordField.Event);

    /// <summary>The raw JSON object, byte for byte as in the record; empty when the record has none.</summary>
    public ReadOnlySpan<byte> Properties => GetUtf8(RecordField.Properties);

    /// <summary>The corrected event time, which decides the partition (UTC, whole microseconds).</summary>
    public DateTimeOffset Timestamp => GetTime(RecordField.Timestamp)!.Value;

    /// <summary>The server's receive time (UTC, whole microseconds).</summary>
    public DateTimeOffset ReceivedAt => GetTime(RecordField.ReceivedAt)!.Value;

    /// <summary>Whether the record has <paramref name="field"/> with a non-null value.</summary>
    public bool Has(RecordField field) => Decoder.Has(field);

    /// <summary>
    /// A text field's unescaped UTF-8, or a JSON field's raw bytes; empty when absent (use <see cref="Has"/> to tell
    /// an absent value from an empty string). Throws for the time and number fields.
    /// </summary>
    public ReadOnlySpan<byte> GetUtf8(RecordField field)
    {
        var decoder = Decoder;
        var kind = RecordFields.Kinds[(int)field];
        if (kind is not (FieldKind.Text or FieldKind.JsonObject))
        {
            ThrowWrongKind(field, "text");
        }

        return decoder.Utf8(_record, field);
    }

    /// <summary>A time field, in UTC; null when absent. Throws for the other fields.</summary>
    public DateTimeOffset? GetTime(RecordField field)
    {
        var decoder = Decoder;
        if (RecordFields.Kinds[(int)field] != FieldKind.Time)
        {
            ThrowWrongKind(field, "a time");
        }

        return decoder.Has(field) ? new DateTimeOffset(decoder.Number(field), TimeSpan.Zero) : null;
    }

    /// <summary><c>screen_width</c> or <c>screen_height</c>; null when absent. Throws for the other fields.</summary>
    public int? GetInt32(RecordField field)
    {
        var decoder = Decoder;
        if (RecordFields.Kinds[(int)field] != FieldKind.Int32)
        {
            ThrowWrongKind(field, "a number");
        }

        return decoder.Has(field) ? (int)decoder.Number(field) : null;
    }

    // Unchecked accessors for the row writer, which has validated the field kinds once at construction.
    internal RecordDecoder CheckedDecoder => Decoder;

    internal ReadOnlySpan<byte> RawUtf8(RecordDecoder decoder, RecordField field) => decoder.Utf8(_record, field);

    private RecordDecoder Decoder
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            var decoder = _decoder;
            if (decoder is null || decoder.Generation != _generation)
            {
                ThrowStale();
            }

            return decoder;
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowStale() => throw new InvalidOperationException(
        "This DecodedRecord is no longer valid: it is readable only until its decoder decodes the next record, and only when TryDecode returned true.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowWrongKind(RecordField field, string asked) => throw new InvalidOperationException(
        $"The record field {RecordFields.NameOf(field)} is not {asked}.");
}
