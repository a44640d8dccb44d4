using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using Weir.Core.Events;
using Weir.Ingest.Internal;

namespace Weir.Ingest.Pixel;

/// <summary>The outcome of one pixel request. The server answers a GIF either way and only counts errors.</summary>
public readonly struct PixelResult
{
    internal PixelResult(bool accepted, string? writeKey, IngestError? error)
    {
        Accepted = accepted;
        WriteKey = writeKey;
        Error = error;
    }

    /// <summary>A record went to the sink.</summary>
    public bool Accepted { get; }

    /// <summary>The <c>k</c> parameter, if present.</summary>
    public string? WriteKey { get; }

    /// <summary>Why no record was written (its <see cref="IngestError.Field"/> is the parameter name).</summary>
    public IngestError? Error { get; }
}

/// <summary>
/// Parses the tracking pixel's query string, <c>k=&lt;writeKey&gt;&amp;e=&lt;event&gt;&amp;u=&lt;url&gt;&amp;r=&lt;referrer&gt;&amp;p.&lt;name&gt;=&lt;value&gt;…</c>,
/// into one canonical record (protocol <c>pixel</c>). Without <c>e</c>, or with <c>e=pageview</c>, the event is a
/// page view; otherwise a track event named <c>e</c>. Properties are strings. No anonymous id: the loader derives the
/// cookieless visitor id. Other parameters (cache busters) are ignored; the first of repeated parameters wins.
/// </summary>
public sealed class PixelIngest
{
    public PixelIngest(IngestOptions? options = null)
    {
        Options = (options ?? new IngestOptions()).Validate();
    }

    public IngestOptions Options { get; }

    /// <summary>Reads only <c>k</c>, so the server can resolve the site first. The query may start with <c>?</c>.</summary>
    public static bool TryFindWriteKey(ReadOnlySpan<char> query, [NotNullWhen(true)] out string? writeKey)
    {
        writeKey = null;
        if (!query.IsEmpty && query[0] == '?')
        {
            query = query[1..];
        }

        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            if (pair.StartsWith("k=") && pair.Length > 2 && pair.Length <= 1026)
            {
                writeKey = Uri.UnescapeDataString(pair[2..].ToString().Replace('+', ' '));
                return writeKey.Length > 0;
            }
        }

        return false;
    }

    /// <summary>Parses a query string (with or without its <c>?</c>) and hands the record to <paramref name="sink"/>.</summary>
    public PixelResult Parse(ReadOnlySpan<char> query, in IngestContext context, IRecordSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return Parse(query, in context, ref sink);
    }

    /// <summary>Parses a query string and hands the record to <paramref name="sink"/>. Never throws for any input.</summary>
    public PixelResult Parse<TSink>(ReadOnlySpan<char> query, in IngestContext context, ref TSink sink)
        where TSink : IRecordSink, allows ref struct
    {
        if (!query.IsEmpty && query[0] == '?')
        {
            query = query[1..];
        }

        if (query.Length > Options.MaxEventBytes)
        {
            return new PixelResult(false, null, new IngestError(
                IngestErrorKind.EventTooLarge, null, $"The query is longer than {Options.MaxEventBytes} characters."));
        }

        var scratch = IngestScratch.Rent();
        try
        {
            var utf8Length = Encoding.UTF8.GetByteCount(query);
            scratch.ReserveArena(utf8Length * 2 + 16);
            scratch.ResetWriters();
            var utf8 = scratch.TakeArena(utf8Length);
            Encoding.UTF8.GetBytes(query, utf8);
            return ParseUtf8(utf8, in context, ref sink, scratch);
        }
        finally
        {
            IngestScratch.Return(scratch);
        }
    }

    private PixelResult ParseUtf8<TSink>(ReadOnlySpan<byte> query, in IngestContext context, ref TSink sink, IngestScratch scratch)
        where TSink : IRecordSink, allows ref struct
    {
        var fields = default(RecordFields);
        var key = default(ReadOnlySpan<byte>);
        var hasEvent = false;
        var properties = scratch.ValueWriter;
        properties.WriteStartObject();
        var propertyCount = 0;
        var offsets = scratch.RentKeyOffsets(2 * (Options.MaxKeys + 1));
        IngestError? error = null;
        foreach (var range in query.Split((byte)'&'))
        {
            var pair = query[range];
            if (pair.IsEmpty)
            {
                continue;
            }

            var equals = pair.IndexOf((byte)'=');
            var rawName = equals < 0 ? pair : pair[..equals];
            var rawValue = equals < 0 ? default : pair[(equals + 1)..];
            var name = Decode(rawName, scratch);
            if (name.Length == 1 && name[0] is (byte)'k' or (byte)'e' or (byte)'u' or (byte)'r')
            {
                var which = (char)name[0];
                var value = Decode(rawValue, scratch);
                var limit = which == 'e' ? Options.MaxEventNameLength : which == 'k' ? 1024 : Options.MaxStringLength;
                if (value.Length > limit)
                {
                    error ??= new IngestError(IngestErrorKind.StringTooLong, which.ToString(), $"is longer than {limit} bytes.");
                    continue;
                }

                if (!Utf8.IsValid(value))
                {
                    error ??= new IngestError(IngestErrorKind.InvalidField, which.ToString(), "is not valid UTF-8 once decoded.");
                    continue;
                }

                switch (which)
                {
                    case 'k' when key.IsEmpty: key = value; break;
                    case 'e' when !hasEvent: fields.Event = value; hasEvent = true; break;
                    case 'u' when fields.Url.IsEmpty: fields.Url = value; break;
                    case 'r' when fields.Referrer.IsEmpty: fields.Referrer = value; break;
                }
            }
            else if (name.Length > 2 && name.StartsWith("p."u8))
            {
                var propertyName = name[2..];
                var value = Decode(rawValue, scratch);
                if (propertyName.Length > Options.MaxStringLength || value.Length > Options.MaxStringLength)
                {
                    error ??= new IngestError(
                        IngestErrorKind.StringTooLong, Field(name), $"is longer than {Options.MaxStringLength} bytes.");
                    continue;
                }

                if (!Utf8.IsValid(propertyName) || !Utf8.IsValid(value))
                {
                    error ??= new IngestError(IngestErrorKind.InvalidField, Field(name), "is not valid UTF-8 once decoded.");
                    continue;
                }

                if (IsRepeat(query, rawName, offsets, propertyCount))
                {
                    continue;
                }

                if (++propertyCount > Options.MaxKeys)
                {
                    error ??= new IngestError(
                        IngestErrorKind.TooManyKeys, "p", $"More than {Options.MaxKeys} properties.");
                    break;
                }

                offsets[2 * (propertyCount - 1)] = Offset(query, rawName);
                offsets[(2 * (propertyCount - 1)) + 1] = rawName.Length;
                properties.WriteString(propertyName, value);
            }
        }

        var writeKey = key.IsEmpty ? null : Encoding.UTF8.GetString(key);
        if (error is null && key.IsEmpty)
        {
            error = new IngestError(IngestErrorKind.MissingField, "k", "is required: the site's write key.");
        }

        if (error is not null)
        {
            return new PixelResult(false, writeKey, error);
        }

        properties.WriteEndObject();
        properties.Flush();
        if (propertyCount > 0)
        {
            fields.Properties = scratch.Value.WrittenSpan;
        }

        if (!hasEvent || fields.Event.IsEmpty || fields.Event.SequenceEqual("pageview"u8))
        {
            fields.Type = EventType.Page;
            fields.Event = "pageview"u8;
        }
        else
        {
            fields.Type = EventType.Track;
        }

        var pixelContext = context with { Protocol = EventProtocol.Pixel };
        return RecordWriter.TryEmit(scratch, Options, ref fields, in pixelContext, ref sink)
            ? new PixelResult(true, writeKey, null)
            : new PixelResult(false, writeKey, new IngestError(IngestErrorKind.Unavailable, null, "Ingest is not accepting events now."));
    }

    private static string Field(ReadOnlySpan<byte> name) =>
        Utf8.IsValid(name) && name.Length <= 64 ? Encoding.UTF8.GetString(name) : "p";

    private static int Offset(ReadOnlySpan<byte> query, ReadOnlySpan<byte> part) =>
        (int)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(query), ref MemoryMarshal.GetReference(part));

    private static bool IsRepeat(ReadOnlySpan<byte> query, ReadOnlySpan<byte> rawName, int[] offsets, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (offsets[(2 * i) + 1] == rawName.Length && query.Slice(offsets[2 * i], rawName.Length).SequenceEqual(rawName))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Percent-decodes (and turns <c>+</c> into a space) into the arena; malformed escapes stay as they are.</summary>
    private static ReadOnlySpan<byte> Decode(ReadOnlySpan<byte> raw, IngestScratch scratch)
    {
        if (raw.IndexOfAny((byte)'%', (byte)'+') < 0)
        {
            return raw;
        }

        var destination = scratch.TakeArena(raw.Length);
        if (destination.Length < raw.Length)
        {
            return raw;
        }

        var n = PercentEncoding.Decode(raw, destination);
        scratch.ReturnArena(raw.Length - n);
        return destination[..n];
    }
}
