using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Weir.Core.Events;
using Weir.Ingest.Internal;

namespace Weir.Ingest.Plausible;

/// <summary>
/// Parses Plausible's Events API body (<c>POST /api/event</c>, JSON sent as <c>text/plain</c> by the trackers) into one
/// canonical record per site its <c>domain</c> names (protocol <c>plausible</c>). Thread-safe; one instance serves the
/// server. See docs/ingest.md, "Compatibility endpoints", for the mapping.
/// </summary>
public sealed class PlausibleIngest
{
    /// <summary>Plausible's own limit on custom properties per event.</summary>
    public const int MaxProps = 30;

    /// <summary>Plausible's limits on a property's name and value, in bytes.</summary>
    public const int MaxPropNameLength = 300;

    public const int MaxPropValueLength = 2000;

    /// <summary>Sites one event may name in its comma-separated <c>domain</c>.</summary>
    public const int MaxDomains = 50;

    private const int MaxDomainLength = 253;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = IngestOptions.ReaderMaxDepth };

    public PlausibleIngest(IngestOptions? options = null)
    {
        Options = (options ?? new IngestOptions()).Validate();
    }

    public IngestOptions Options { get; }

    /// <summary>A Plausible event is one small object: the per-event limit is the body limit.</summary>
    public int MaxBodyBytes => Options.MaxEventBytes;

    /// <summary>
    /// Parses a body and hands one record per resolved site to <paramref name="sink"/>. Never throws for any input:
    /// every problem is in the result, and each domain <paramref name="sites"/> refused is one of its
    /// <see cref="IngestResult.Errors"/>.
    /// </summary>
    public IngestResult Parse<TSites, TSink>(ReadOnlySpan<byte> body, in IngestContext context, ref TSites sites, ref TSink sink)
        where TSites : IDomainResolver, allows ref struct
        where TSink : IRecordSink, allows ref struct
    {
        if (JsonFields.CheckBody(ref body, MaxBodyBytes) is { } bodyError)
        {
            return IngestResult.Fail(bodyError);
        }

        var scratch = IngestScratch.Rent();
        try
        {
            scratch.ReserveArena((2 * body.Length) + 64);
            scratch.ResetWriters();
            var fields = default(RecordFields);
            var domains = default(ReadOnlySpan<byte>);
            if (Read(body, scratch, ref fields, ref domains) is { } error)
            {
                return IngestResult.Fail(error);
            }

            return Emit(ref fields, domains, in context, ref sites, ref sink, scratch);
        }
        catch (JsonException e)
        {
            return IngestResult.Fail(new IngestError(IngestErrorKind.InvalidJson, null, "The body is not valid JSON: " + e.Message));
        }
        finally
        {
            IngestScratch.Return(scratch);
        }
    }

    /// <summary>Parses a body for a class resolver and sink (tests, tools).</summary>
    public IngestResult Parse(ReadOnlySpan<byte> body, in IngestContext context, IDomainResolver sites, IRecordSink sink)
    {
        ArgumentNullException.ThrowIfNull(sites);
        ArgumentNullException.ThrowIfNull(sink);
        return Parse(body, in context, ref sites, ref sink);
    }

    /// <summary>Reads the members into <paramref name="fields"/> (properties and context are built here too).</summary>
    private IngestError? Read(ReadOnlySpan<byte> body, IngestScratch scratch, scoped ref RecordFields fields, scoped ref ReadOnlySpan<byte> domains)
    {
        var reader = new Utf8JsonReader(body, ReaderOptions);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            reader.Read();
            return new IngestError(IngestErrorKind.InvalidJson, null, "The body must be a JSON object such as {\"n\":\"pageview\",\"u\":\"https://shop.example/\",\"d\":\"shop.example\"}.");
        }

        IngestError? error = null;
        string nameField = "name", urlField = "url", domainField = "domain", propsField = "props", revenueField = "revenue";
        var props = default(ReadOnlySpan<byte>);
        var revenue = default(ReadOnlySpan<byte>);
        var version = default(ReadOnlySpan<byte>);
        bool hashRouting = false, nonInteractive = false;
        var scrollDepth = default(ReadOnlySpan<byte>);
        var engagementTime = default(ReadOnlySpan<byte>);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var member = reader.ValueIsEscaped ? default : reader.ValueSpan;
            reader.Read();
            if (error is not null)
            {
                reader.Skip();
                continue;
            }

            switch (member)
            {
                case [(byte)'n'] or [(byte)'n', (byte)'a', (byte)'m', (byte)'e']:
                    nameField = member.Length == 1 ? "n" : "name";
                    error = JsonFields.ReadText(ref reader, scratch, nameField, -1, Options.MaxEventNameLength, allowNumber: false, ref fields.Event);
                    break;
                case [(byte)'u'] or [(byte)'u', (byte)'r', (byte)'l']:
                    urlField = member.Length == 1 ? "u" : "url";
                    error = JsonFields.ReadText(ref reader, scratch, urlField, -1, Options.MaxStringLength, allowNumber: false, ref fields.Url);
                    break;
                case [(byte)'d'] or [(byte)'d', (byte)'o', (byte)'m', (byte)'a', (byte)'i', (byte)'n']:
                    domainField = member.Length == 1 ? "d" : "domain";
                    error = JsonFields.ReadText(ref reader, scratch, domainField, -1, Options.MaxStringLength, allowNumber: false, ref domains);
                    break;
                case [(byte)'r'] or [(byte)'r', (byte)'e', (byte)'f', (byte)'e', (byte)'r', (byte)'r', (byte)'e', (byte)'r']:
                    error = JsonFields.ReadText(ref reader, scratch, member.Length == 1 ? "r" : "referrer", -1, Options.MaxStringLength, allowNumber: false, ref fields.Referrer);
                    break;
                case [(byte)'p'] or [(byte)'p', (byte)'r', (byte)'o', (byte)'p', (byte)'s']:
                    propsField = member.Length == 1 ? "p" : "props";
                    error = RawObject(ref reader, body, propsField, ref props);
                    break;
                case [(byte)'$'] or [(byte)'r', (byte)'e', (byte)'v', (byte)'e', (byte)'n', (byte)'u', (byte)'e']:
                    revenueField = member.Length == 1 ? "$" : "revenue";
                    error = RawObject(ref reader, body, revenueField, ref revenue);
                    break;
                case [(byte)'i'] or [(byte)'i', (byte)'n', (byte)'t', (byte)'e', (byte)'r', (byte)'a', (byte)'c', (byte)'t', (byte)'i', (byte)'v', (byte)'e']:
                    if (reader.TokenType is JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null)
                    {
                        nonInteractive = reader.TokenType == JsonTokenType.False;
                    }
                    else
                    {
                        reader.Skip();
                        error = JsonFields.Invalid(-1, member.Length == 1 ? "i" : "interactive", "must be true or false.");
                    }

                    break;
                case [(byte)'h']:
                    hashRouting = reader.TokenType == JsonTokenType.True ||
                                  (reader.TokenType == JsonTokenType.Number && !reader.ValueSpan.SequenceEqual("0"u8));
                    reader.Skip();
                    break;
                case [(byte)'v']:
                    error = JsonFields.ReadText(ref reader, scratch, "v", -1, 32, allowNumber: true, ref version);
                    break;
                case [(byte)'s', (byte)'d']:
                    error = ReadNumber(ref reader, "sd", ref scrollDepth);
                    break;
                case [(byte)'e']:
                    error = ReadNumber(ref reader, "e", ref engagementTime);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        // Anything after the object fails here, before a record is written.
        reader.Read();
        if (error is not null)
        {
            return error;
        }

        if (fields.Event.IsEmpty)
        {
            return JsonFields.Missing(-1, nameField, "is required: the event's name, e.g. \"pageview\".");
        }

        if (fields.Url.IsEmpty)
        {
            return JsonFields.Missing(-1, urlField, "is required: the URL of the page the event happened on.");
        }

        if (domains.Trim(" ,"u8).IsEmpty)
        {
            return JsonFields.Missing(-1, domainField, "is required: the site's domain as registered in Weir, or several separated by commas.");
        }

        // Properties first, then the context, both into the scratch's value buffer (one after the other).
        var value = scratch.ValueWriter;
        var propsLength = 0;
        if (!props.IsEmpty || !revenue.IsEmpty)
        {
            value.WriteStartObject();
            var count = 0;
            if (!props.IsEmpty && WriteProps(props, propsField, skipRevenue: !revenue.IsEmpty, value, scratch, ref count) is { } propsError)
            {
                return propsError;
            }

            if (!revenue.IsEmpty && WriteRevenue(revenue, revenueField, value, ref count) is { } revenueError)
            {
                return revenueError;
            }

            value.WriteEndObject();
            value.Flush();
            propsLength = count > 0 ? (int)value.BytesCommitted : 0;
            if (count == 0)
            {
                scratch.Value.Clear();
            }

            value.Reset(scratch.Value);
        }

        var contextStart = scratch.Value.WrittenCount;
        if (nonInteractive || hashRouting || !scrollDepth.IsEmpty || !engagementTime.IsEmpty)
        {
            value.WriteStartObject();
            if (nonInteractive)
            {
                value.WriteBoolean("interactive"u8, false);
            }

            if (hashRouting)
            {
                value.WriteBoolean("hash_routing"u8, true);
            }

            if (!scrollDepth.IsEmpty)
            {
                value.WritePropertyName("scroll_depth"u8);
                value.WriteRawValue(scrollDepth, skipInputValidation: true);
            }

            if (!engagementTime.IsEmpty)
            {
                value.WritePropertyName("engagement_time"u8);
                value.WriteRawValue(engagementTime, skipInputValidation: true);
            }

            value.WriteEndObject();
            value.Flush();
        }

        var written = scratch.Value.WrittenSpan;
        fields.Properties = written[..propsLength];
        fields.Context = written[contextStart..];

        if (fields.Event.SequenceEqual("pageview"u8))
        {
            fields.Type = EventType.Page;
            fields.Event = "pageview"u8;
        }
        else
        {
            fields.Type = EventType.Track;
        }

        if (hashRouting)
        {
            fields.Path = HashPath(fields.Url, scratch);
        }

        fields.LibraryName = "plausible"u8;
        fields.LibraryVersion = version;
        return null;
    }

    private IngestResult Emit<TSites, TSink>(
        scoped ref RecordFields fields,
        ReadOnlySpan<byte> domains,
        in IngestContext context,
        ref TSites sites,
        ref TSink sink,
        IngestScratch scratch)
        where TSites : IDomainResolver, allows ref struct
        where TSink : IRecordSink, allows ref struct
    {
        var plausibleContext = context with { Protocol = EventProtocol.Plausible };
        var domainCount = 0;
        foreach (var range in domains.Split((byte)','))
        {
            if (!domains[range].Trim((byte)' ').IsEmpty && ++domainCount > MaxDomains)
            {
                return IngestResult.Fail(JsonFields.Invalid(-1, "domain", $"names more than {MaxDomains} sites."));
            }
        }

        List<IngestError>? errors = null;
        string?[]? emitted = domainCount > 1 ? new string?[domainCount] : null;
        var accepted = 0;
        Span<char> chars = stackalloc char[MaxDomainLength];
        foreach (var range in domains.Split((byte)','))
        {
            var domain = domains[range].Trim((byte)' ');
            if (domain.IsEmpty)
            {
                continue;
            }

            if (domain.Length > MaxDomainLength)
            {
                (errors ??= []).Add(new IngestError(IngestErrorKind.UnknownDomain, "domain", $"'{Encoding.UTF8.GetString(domain[..64])}…' is longer than a domain can be."));
                continue;
            }

            var length = Encoding.UTF8.GetChars(domain, chars);
            var siteId = sites.Resolve(chars[..length], out var refusal);
            if (siteId is null)
            {
                (errors ??= []).Add(refusal ?? new IngestError(IngestErrorKind.UnknownDomain, "domain", $"no site here has the domain '{chars[..length]}'."));
                continue;
            }

            if (emitted is not null)
            {
                if (Array.IndexOf(emitted, siteId, 0, accepted) >= 0)
                {
                    continue;
                }

                emitted[accepted] = siteId;
            }

            var siteContext = plausibleContext with { SiteId = siteId };
            if (!RecordWriter.TryEmit(scratch, Options, ref fields, in siteContext, ref sink))
            {
                return new IngestResult(accepted, errors, new IngestError(IngestErrorKind.Unavailable, null, "Ingest is not accepting events now; retry later."), null);
            }

            accepted++;
        }

        return new IngestResult(accepted, errors, null, null);
    }

    /// <summary>Copies the props object's members, checking Plausible's rules: scalar values, names and values within limits.</summary>
    private static IngestError? WriteProps(ReadOnlySpan<byte> props, string field, bool skipRevenue, Utf8JsonWriter value, IngestScratch scratch, ref int count)
    {
        var reader = new Utf8JsonReader(props, ReaderOptions);
        reader.Read();
        var pairs = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (++pairs > MaxProps)
            {
                return new IngestError(IngestErrorKind.TooManyKeys, field, $"has more than {MaxProps} properties, Plausible's limit.");
            }

            if (reader.ValueSpan.Length > 6 * MaxPropNameLength || !JsonScan.TryGetString(ref reader, scratch, out var name) || name.Length > MaxPropNameLength)
            {
                return new IngestError(IngestErrorKind.StringTooLong, field, $"has a property name longer than {MaxPropNameLength} bytes or with an invalid escape.");
            }

            reader.Read();
            var skip = skipRevenue && (name.SequenceEqual("revenue"u8) || name.SequenceEqual("currency"u8));
            switch (reader.TokenType)
            {
                case JsonTokenType.Null:
                    // Plausible drops properties without a value; an absent key reads as null anyway.
                    break;
                case JsonTokenType.String:
                    if (reader.ValueSpan.Length > 6 * MaxPropValueLength || !JsonScan.TryGetString(ref reader, scratch, out var text) || text.Length > MaxPropValueLength)
                    {
                        return new IngestError(IngestErrorKind.StringTooLong, PropPath(field, name), $"is longer than {MaxPropValueLength} bytes or holds an invalid escape.");
                    }

                    if (!skip)
                    {
                        value.WriteString(name, text);
                        count++;
                    }

                    break;
                case JsonTokenType.Number:
                    if (!skip)
                    {
                        value.WritePropertyName(name);
                        value.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                        count++;
                    }

                    break;
                case JsonTokenType.True or JsonTokenType.False:
                    if (!skip)
                    {
                        value.WriteBoolean(name, reader.TokenType == JsonTokenType.True);
                        count++;
                    }

                    break;
                default:
                    return new IngestError(IngestErrorKind.InvalidField, PropPath(field, name), "must be a string, a number or a boolean.");
            }
        }

        return null;
    }

    /// <summary>Writes <c>revenue</c> (a number) and <c>currency</c> (an ISO 4217 code) from <c>{amount, currency}</c>.</summary>
    private static IngestError? WriteRevenue(ReadOnlySpan<byte> revenue, string field, Utf8JsonWriter value, ref int count)
    {
        var reader = new Utf8JsonReader(revenue, ReaderOptions);
        reader.Read();
        decimal? amount = null;
        var currency = default(ReadOnlySpan<byte>);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isAmount = reader.ValueTextEquals("amount"u8);
            var isCurrency = reader.ValueTextEquals("currency"u8);
            reader.Read();
            if (isAmount)
            {
                // The trackers send a number or a numeric string ("12.50"); the record keeps a number, written anew
                // so that no string's text goes into the record as JSON.
                var text = reader.TokenType is JsonTokenType.Number or JsonTokenType.String && !reader.ValueIsEscaped ? reader.ValueSpan : default;
                if (text.IsEmpty || text.Length > 40 || !Utf8Parser.TryParse(text, out decimal parsed, out var used) || used != text.Length)
                {
                    return JsonFields.Invalid(-1, field + ".amount", "must be a number, or a string holding one.");
                }

                amount = parsed;
            }
            else if (isCurrency)
            {
                var text = reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped ? reader.ValueSpan : default;
                if (text.Length != 3 || !char.IsAsciiLetter((char)text[0]) || !char.IsAsciiLetter((char)text[1]) || !char.IsAsciiLetter((char)text[2]))
                {
                    return JsonFields.Invalid(-1, field + ".currency", "must be a three-letter ISO 4217 code such as \"EUR\".");
                }

                currency = text;
            }

            reader.Skip();
        }

        if (amount is not { } revenueAmount)
        {
            return JsonFields.Missing(-1, field + ".amount", "is required with revenue.");
        }

        if (currency.IsEmpty)
        {
            return JsonFields.Missing(-1, field + ".currency", "is required with revenue.");
        }

        value.WriteNumber("revenue"u8, revenueAmount);
        Span<byte> upper = stackalloc byte[3];
        for (var i = 0; i < 3; i++)
        {
            upper[i] = (byte)char.ToUpperInvariant((char)currency[i]);
        }

        value.WriteString("currency"u8, upper);
        count += 2;
        return null;
    }

    private static IngestError? RawObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, string field, scoped ref ReadOnlySpan<byte> raw)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                raw = default;
                return null;
            case JsonTokenType.StartObject:
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                raw = body[start..(int)reader.BytesConsumed];
                return null;
            default:
                reader.Skip();
                return JsonFields.Invalid(-1, field, "must be an object.");
        }
    }

    private static IngestError? ReadNumber(ref Utf8JsonReader reader, string field, scoped ref ReadOnlySpan<byte> number)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.ValueSpan.Length <= 32)
        {
            number = reader.ValueSpan;
            return null;
        }

        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        reader.Skip();
        return JsonFields.Invalid(-1, field, "must be a number.");
    }

    /// <summary>With hash-based routing the page is the path and the fragment: <c>/app#/settings</c>.</summary>
    private static ReadOnlySpan<byte> HashPath(ReadOnlySpan<byte> url, IngestScratch scratch)
    {
        UrlParts.Split(url, out _, out var path, out _);
        var hash = url.IndexOf((byte)'#');
        if (hash < 0 || hash == url.Length - 1)
        {
            return path;
        }

        var fragment = url[hash..];
        var combined = scratch.TakeArena(path.Length + fragment.Length);
        if (combined.IsEmpty)
        {
            return path;
        }

        path.CopyTo(combined);
        fragment.CopyTo(combined[path.Length..]);
        return combined;
    }

    private static string PropPath(string field, ReadOnlySpan<byte> name) =>
        name.Length <= 64 ? field + "." + Encoding.UTF8.GetString(name) : field;
}
