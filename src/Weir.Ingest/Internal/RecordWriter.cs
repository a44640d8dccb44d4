using System.Text.Json;
using Weir.Core.Events;
using F = Weir.Core.Events.CanonicalEventFields;

namespace Weir.Ingest.Internal;

/// <summary>Writes a canonical record from <see cref="RecordFields"/> in the field order of CanonicalEventFields.</summary>
internal static class RecordWriter
{
    private static readonly JsonReaderOptions ContextReaderOptions = new() { MaxDepth = IngestOptions.ReaderMaxDepth };

    /// <summary>Writes the record into the scratch's record buffer and hands it to <paramref name="sink"/>; false when the sink refused it.</summary>
    public static bool TryEmit<TSink>(
        IngestScratch scratch,
        IngestOptions options,
        scoped ref RecordFields fields,
        in IngestContext context,
        ref TSink sink)
        where TSink : IRecordSink, allows ref struct
    {
        var writer = scratch.RecordWriter;
        scratch.Record.Clear();
        writer.Reset(scratch.Record);
        Write(writer, ref fields, in context, options, scratch);
        return sink.TryWrite(scratch.Record.WrittenSpan);
    }

    public static void Write(
        Utf8JsonWriter w,
        scoped ref RecordFields f,
        in IngestContext context,
        IngestOptions options,
        IngestScratch scratch)
    {
        var received = context.ReceivedAt;
        var timestamp = EventTime.Correct(received, f.SentAt, f.ClientTimestamp, options.FutureTolerance, out _);

        w.WriteStartObject();
        w.WriteNumber(F.Version, CanonicalEventFields.CurrentVersion);
        if (f.MessageId.IsEmpty)
        {
            Span<byte> id = stackalloc byte[36];
            UuidV7.Format(received, id);
            w.WriteString(F.MessageId, id);
        }
        else
        {
            w.WriteString(F.MessageId, f.MessageId);
        }

        if (context.SiteId is { } site)
        {
            w.WriteString(F.SiteId, site);
        }

        w.WriteString(F.Protocol, context.Protocol.Utf8Name());
        w.WriteString(F.Type, f.Type.Utf8Name());
        Optional(w, F.Event, f.Event);
        Optional(w, F.Name, f.Name);
        Optional(w, F.UserId, f.UserId);
        Optional(w, F.AnonymousId, f.AnonymousId);
        Optional(w, F.GroupId, f.GroupId);
        Optional(w, F.PreviousId, f.PreviousId);
        CanonicalEventWriter.WriteTimestamp(w, F.Timestamp, timestamp);
        if (f.ClientTimestamp is { } original)
        {
            CanonicalEventWriter.WriteTimestamp(w, F.OriginalTimestamp, original);
        }

        if (f.SentAt is { } sentAt)
        {
            CanonicalEventWriter.WriteTimestamp(w, F.SentAt, sentAt);
        }

        CanonicalEventWriter.WriteTimestamp(w, F.ReceivedAt, received);

        UrlParts.Split(f.Url, out var host, out var urlPath, out var urlQuery);
        Optional(w, F.Url, f.Url);
        if (!host.IsEmpty && host.Length <= 255)
        {
            Span<byte> lower = stackalloc byte[host.Length];
            for (var i = 0; i < host.Length; i++)
            {
                var b = host[i];
                lower[i] = b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;
            }

            w.WriteString(F.Host, lower);
        }

        Optional(w, F.Path, f.Path.IsEmpty ? urlPath : f.Path);
        var query = f.Query;
        if (!query.IsEmpty && query[0] == '?')
        {
            query = query[1..];
        }

        Optional(w, F.Query, f.Query.IsEmpty ? urlQuery : query);
        Optional(w, F.Title, f.Title);
        Optional(w, F.Referrer, f.Referrer);
        Optional(w, F.Locale, f.Locale);
        if (f.ScreenWidth > 0)
        {
            w.WriteNumber(F.ScreenWidth, f.ScreenWidth);
        }

        if (f.ScreenHeight > 0)
        {
            w.WriteNumber(F.ScreenHeight, f.ScreenHeight);
        }

        if (!f.LibraryName.IsEmpty)
        {
            var length = f.LibraryName.Length + 1 + f.LibraryVersion.Length;
            if (!f.LibraryVersion.IsEmpty && length <= 512)
            {
                Span<byte> library = stackalloc byte[length];
                f.LibraryName.CopyTo(library);
                library[f.LibraryName.Length] = (byte)'/';
                f.LibraryVersion.CopyTo(library[(f.LibraryName.Length + 1)..]);
                w.WriteString(F.Library, library);
            }
            else
            {
                w.WriteString(F.Library, f.LibraryName);
            }
        }

        if (!f.UserAgent.IsEmpty)
        {
            w.WriteString(F.UserAgent, f.UserAgent);
        }
        else if (context.UserAgent is { Length: > 0 } userAgent)
        {
            w.WriteString(F.UserAgent, userAgent);
        }

        if (!f.Ip.IsEmpty)
        {
            w.WriteString(F.Ip, f.Ip);
        }
        else if (context.Ip is { Length: > 0 } ip)
        {
            w.WriteString(F.Ip, ip);
        }

        if (f.PropertiesHasIp && !f.Properties.IsEmpty)
        {
            w.WritePropertyName(F.Properties);
            w.WriteStartObject();
            CopyMembers(w, f.Properties, "$ip"u8, default, [], 0, [], record: false);
            w.WriteEndObject();
        }
        else
        {
            Raw(w, F.Properties, f.Properties);
        }

        Raw(w, F.Traits, f.Traits);
        WriteContext(w, ref f, scratch);
        w.WriteEndObject();
        w.Flush();
    }

    private static void Optional(Utf8JsonWriter w, JsonEncodedText name, ReadOnlySpan<byte> value)
    {
        if (!value.IsEmpty)
        {
            w.WriteString(name, value);
        }
    }

    private static void Raw(Utf8JsonWriter w, JsonEncodedText name, ReadOnlySpan<byte> json)
    {
        if (!json.IsEmpty)
        {
            w.WritePropertyName(name);
            w.WriteRawValue(json, skipInputValidation: true);
        }
    }

    /// <summary>
    /// The event's context with the batch's keys it lacks, without <c>ip</c> (moved to the <c>ip</c> field). Copied
    /// whole when there is nothing to merge or drop.
    /// </summary>
    private static void WriteContext(Utf8JsonWriter w, scoped ref RecordFields f, IngestScratch scratch)
    {
        var own = f.Context;
        var batch = f.BatchContext;
        if (own.IsEmpty && batch.IsEmpty)
        {
            return;
        }

        if (batch.IsEmpty && !f.ContextHasIp)
        {
            Raw(w, F.Context, own);
            return;
        }

        if (own.IsEmpty && !f.BatchContextHasIp)
        {
            Raw(w, F.Context, batch);
            return;
        }

        w.WritePropertyName(F.Context);
        w.WriteStartObject();
        var count = 0;
        int[] offsets = [];
        if (!own.IsEmpty)
        {
            offsets = scratch.RentKeyOffsets(CountHint(own));
            count = CopyMembers(w, own, "ip"u8, skip: default, [], 0, offsets, record: true);
        }

        if (!batch.IsEmpty)
        {
            CopyMembers(w, batch, "ip"u8, own, offsets, count, [], record: false);
        }

        w.WriteEndObject();
    }

    private static int CountHint(ReadOnlySpan<byte> json) => 2 * (json.Count((byte)':') + 1);

    /// <summary>
    /// Copies the top-level members of <paramref name="json"/> except <paramref name="drop"/> and except names recorded in
    /// <paramref name="skipOffsets"/> (pairs of start and length into <paramref name="skip"/>). When
    /// <paramref name="record"/> is set, records the copied names' offsets into <paramref name="offsets"/>.
    /// </summary>
    private static int CopyMembers(
        Utf8JsonWriter w,
        ReadOnlySpan<byte> json,
        ReadOnlySpan<byte> drop,
        ReadOnlySpan<byte> skip,
        int[] skipOffsets,
        int skipCount,
        int[] offsets,
        bool record)
    {
        var reader = new Utf8JsonReader(json, ContextReaderOptions);
        reader.Read();
        var count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var nameStart = (int)reader.TokenStartIndex + 1;
            var rawName = reader.ValueSpan;
            var dropped = !reader.ValueIsEscaped && rawName.SequenceEqual(drop);
            var seen = false;
            for (var i = 0; i < skipCount && !seen; i++)
            {
                seen = skip.Slice(skipOffsets[2 * i], skipOffsets[(2 * i) + 1]).SequenceEqual(rawName);
            }

            var escapedName = reader.ValueIsEscaped;
            reader.Read();
            var valueStart = (int)reader.TokenStartIndex;
            reader.Skip();
            if (dropped || seen)
            {
                continue;
            }

            if (record && 2 * count + 1 < offsets.Length)
            {
                offsets[2 * count] = nameStart;
                offsets[(2 * count) + 1] = rawName.Length;
                count++;
            }

            if (escapedName)
            {
                // Names with escapes are rare; the unescaped copy is bounded by MaxStringLength.
                var unescaped = json.Slice(nameStart - 1, rawName.Length + 2);
                var nameReader = new Utf8JsonReader(unescaped);
                nameReader.Read();
                w.WritePropertyName(nameReader.GetString()!);
            }
            else
            {
                w.WritePropertyName(rawName);
            }

            w.WriteRawValue(json[valueStart..(int)reader.BytesConsumed], skipInputValidation: true);
        }

        return count;
    }
}
