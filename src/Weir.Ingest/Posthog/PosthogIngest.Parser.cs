using System.Text.Json;
using Weir.Core.Events;
using Weir.Ingest.Internal;

namespace Weir.Ingest.Posthog;

public sealed partial class PosthogIngest
{
    /// <summary>The properties PostHog's SDKs set that map onto canonical columns; the others are only kept.</summary>
    private enum Prop
    {
        Other,
        CurrentUrl,
        Pathname,
        Referrer,
        Title,
        ScreenName,
        Lib,
        LibVersion,
        BrowserLanguage,
        RawUserAgent,
        Ip,
        ScreenWidth,
        ScreenHeight,
        DeviceId,
        AnonDistinctId,
        IsIdentified,
        Set,
        GroupSet,
        GroupKey,
        Alias,
        DistinctId,
    }

    /// <summary>What the properties of one event said about the canonical columns. Spans point into the body or the arena.</summary>
    private ref struct Props
    {
        public ReadOnlySpan<byte> Raw;
        public ReadOnlySpan<byte> Url;
        public ReadOnlySpan<byte> Path;
        public ReadOnlySpan<byte> Referrer;
        public ReadOnlySpan<byte> Title;
        public ReadOnlySpan<byte> ScreenName;
        public ReadOnlySpan<byte> Lib;
        public ReadOnlySpan<byte> LibVersion;
        public ReadOnlySpan<byte> Locale;
        public ReadOnlySpan<byte> UserAgent;
        public ReadOnlySpan<byte> Ip;
        public ReadOnlySpan<byte> DeviceId;
        public ReadOnlySpan<byte> AnonDistinctId;
        public ReadOnlySpan<byte> Set;
        public ReadOnlySpan<byte> GroupSet;
        public ReadOnlySpan<byte> GroupKey;
        public ReadOnlySpan<byte> Alias;
        public ReadOnlySpan<byte> DistinctId;
        public int ScreenWidth;
        public int ScreenHeight;
        public bool HasIp;
        public bool? IsIdentified;
    }

    /// <summary>One parse of one body. Holds the envelope's values the events inherit.</summary>
    private ref struct Parser
    {
        private readonly IngestOptions _options;
        private readonly IngestScratch _scratch;
        private readonly ReadOnlySpan<byte> _body;
        private List<IngestError>? _errors;
        private int _accepted;
        private readonly DateTimeOffset _receivedAt;
        private DateTimeOffset? _envelopeSentAt;

        public Parser(IngestOptions options, IngestScratch scratch, ReadOnlySpan<byte> body, DateTimeOffset receivedAt)
        {
            _options = options;
            _scratch = scratch;
            _body = body;
            _receivedAt = receivedAt;
        }

        public IngestResult Parse<TSink>(in IngestContext context, ref TSink sink)
            where TSink : IRecordSink, allows ref struct
        {
            var posthogContext = context with { Protocol = EventProtocol.Posthog };

            // Pass 1: the root. Skipping it checks the whole body's syntax, so events cannot fail as JSON later.
            var reader = new Utf8JsonReader(_body, ReaderOptions);
            reader.Read();
            if (reader.TokenType == JsonTokenType.StartArray)
            {
                reader.Skip();
                reader.Read();
                return ParseEvents(_body, in posthogContext, ref sink);
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                reader.Read();
                return IngestResult.Fail(new IngestError(
                    IngestErrorKind.InvalidJson, null, "The body must be a JSON event object, an object with a batch array, or an array of events."));
            }

            int batchStart = -1, batchEnd = -1;
            IngestError? envelopeError = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isBatch = reader.ValueTextEquals("batch"u8);
                var isSentAt = reader.ValueTextEquals("sent_at"u8);
                reader.Read();
                if (isBatch && envelopeError is null)
                {
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        batchStart = (int)reader.TokenStartIndex;
                        reader.Skip();
                        batchEnd = (int)reader.BytesConsumed;
                        continue;
                    }

                    envelopeError = new IngestError(IngestErrorKind.InvalidField, "batch", "must be an array of events.");
                }
                else if (isSentAt && envelopeError is null)
                {
                    envelopeError = JsonFields.ReadTime(ref reader, "sent_at", -1, out _envelopeSentAt);
                    continue;
                }

                reader.Skip();
            }

            reader.Read();
            if (envelopeError is not null)
            {
                return IngestResult.Fail(envelopeError);
            }

            if (batchStart >= 0)
            {
                return ParseEvents(_body[batchStart..batchEnd], in posthogContext, ref sink);
            }

            // A single event: its own members, sent_at included, are read as an event's.
            _envelopeSentAt = null;
            var single = new Utf8JsonReader(_body, ReaderOptions);
            single.Read();
            var fields = default(RecordFields);
            var error = ParseEvent(ref single, _body, -1, ref fields);
            if (error is not null)
            {
                return IngestResult.Fail(error);
            }

            return Emit(ref fields, in posthogContext, ref sink) ? new IngestResult(1, null, null, null) : Unavailable();
        }

        /// <summary>The events of an array (the body, or the envelope's batch), each accepted or reported by index.</summary>
        private IngestResult ParseEvents<TSink>(ReadOnlySpan<byte> items, in IngestContext context, ref TSink sink)
            where TSink : IRecordSink, allows ref struct
        {
            var arenaMark = _scratch.ArenaMark;
            var reader = new Utf8JsonReader(items, ReaderOptions);
            reader.Read();
            var index = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                _scratch.ResetArena(arenaMark);
                var itemStart = (int)reader.TokenStartIndex;
                IngestError? error;
                var fields = default(RecordFields);
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    error = ParseEvent(ref reader, items, index, ref fields);
                }
                else
                {
                    reader.Skip();
                    error = new IngestError(IngestErrorKind.InvalidField, JsonFields.Path(index, null), "must be an event object.", index);
                }

                var size = (int)reader.BytesConsumed - itemStart;
                if (error is null && size > _options.MaxEventBytes)
                {
                    error = new IngestError(
                        IngestErrorKind.EventTooLarge, JsonFields.Path(index, null), $"is {size} bytes; the limit is {_options.MaxEventBytes}.", index);
                }

                if (error is not null)
                {
                    (_errors ??= []).Add(error);
                }
                else if (!Emit(ref fields, in context, ref sink))
                {
                    return Unavailable();
                }

                index++;
            }

            return new IngestResult(_accepted, _errors, null, null);
        }

        private readonly IngestResult Unavailable() =>
            new(_accepted, _errors, new IngestError(IngestErrorKind.Unavailable, null, "Ingest is not accepting events now; retry later."), null);

        private bool Emit<TSink>(scoped ref RecordFields fields, in IngestContext context, ref TSink sink)
            where TSink : IRecordSink, allows ref struct
        {
            if (!RecordWriter.TryEmit(_scratch, _options, ref fields, in context, ref sink))
            {
                return false;
            }

            _accepted++;
            return true;
        }

        /// <summary>
        /// Reads one event object (the reader is on its start) into <paramref name="fields"/>. Returns the first problem,
        /// or null. The reader ends on the object's end either way.
        /// </summary>
        private readonly IngestError? ParseEvent(ref Utf8JsonReader reader, ReadOnlySpan<byte> source, int index, scoped ref RecordFields fields)
        {
            IngestError? error = null;
            var name = default(ReadOnlySpan<byte>);
            var distinctId = default(ReadOnlySpan<byte>);
            var topSet = default(ReadOnlySpan<byte>);
            var props = default(Props);
            double? offsetMs = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var member = reader.ValueIsEscaped ? default : reader.ValueSpan;
                reader.Read();
                if (error is not null)
                {
                    reader.Skip();
                    continue;
                }

                if (member.SequenceEqual("event"u8))
                {
                    error = JsonFields.ReadText(ref reader, _scratch, "event", index, _options.MaxEventNameLength, allowNumber: false, ref name);
                }
                else if (member.SequenceEqual("distinct_id"u8))
                {
                    error = JsonFields.ReadText(ref reader, _scratch, "distinct_id", index, _options.MaxIdLength, allowNumber: true, ref distinctId);
                }
                else if (member.SequenceEqual("properties"u8))
                {
                    error = ReadProperties(ref reader, source, index, ref props);
                }
                else if (member.SequenceEqual("timestamp"u8))
                {
                    error = JsonFields.ReadTime(ref reader, "timestamp", index, out fields.ClientTimestamp);
                }
                else if (member.SequenceEqual("sent_at"u8))
                {
                    error = JsonFields.ReadTime(ref reader, "sent_at", index, out fields.SentAt);
                }
                else if (member.SequenceEqual("uuid"u8))
                {
                    error = JsonFields.ReadText(ref reader, _scratch, "uuid", index, _options.MaxIdLength, allowNumber: false, ref fields.MessageId);
                }
                else if (member.SequenceEqual("offset"u8))
                {
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var ms) && ms is >= 0 and < 1e12)
                    {
                        offsetMs = ms;
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        reader.Skip();
                        error = JsonFields.Invalid(index, "offset", "must be a number of milliseconds.");
                    }
                }
                else if (member.SequenceEqual("$set"u8))
                {
                    var set = default(Captured);
                    error = JsonFields.ReadObject(ref reader, source, _options, _scratch, "$set", index, CaptureMode.None, ref set);
                    topSet = set.Raw;
                }
                else
                {
                    reader.Skip();
                }
            }

            if (error is not null)
            {
                return error;
            }

            if (name.IsEmpty)
            {
                return JsonFields.Missing(index, "event", "is required: the event's name, e.g. \"$pageview\".");
            }

            if (distinctId.IsEmpty)
            {
                // posthog-js sends it among the properties.
                distinctId = props.DistinctId;
            }

            if (distinctId.IsEmpty)
            {
                return JsonFields.Missing(index, "distinct_id", "is required (or properties.distinct_id): the id PostHog's SDK gives the person.");
            }

            fields.SentAt ??= _envelopeSentAt;
            if (offsetMs is { } offset && fields.ClientTimestamp is null)
            {
                // Older clients send how long before sending the event happened, instead of when.
                fields.ClientTimestamp = EventTime.TruncateToMicroseconds((fields.SentAt ?? _receivedAt) - TimeSpan.FromMilliseconds(offset));
            }

            return Map(name, distinctId, topSet, ref props, index, ref fields);
        }

        /// <summary>Maps a PostHog event onto the canonical columns (docs/ingest.md has the table).</summary>
        private static IngestError? Map(
            ReadOnlySpan<byte> name,
            ReadOnlySpan<byte> distinctId,
            ReadOnlySpan<byte> topSet,
            scoped ref Props props,
            int index,
            scoped ref RecordFields fields)
        {
            fields.Properties = props.Raw;
            fields.PropertiesHasIp = props.HasIp;
            fields.Ip = props.Ip;
            fields.UserAgent = props.UserAgent;
            fields.Locale = props.Locale;
            fields.ScreenWidth = props.ScreenWidth;
            fields.ScreenHeight = props.ScreenHeight;
            fields.Url = props.Url;
            fields.Path = props.Path;
            fields.Referrer = props.Referrer;
            fields.LibraryName = props.Lib.IsEmpty ? "posthog"u8 : props.Lib;
            fields.LibraryVersion = props.Lib.IsEmpty ? default : props.LibVersion;

            switch (name)
            {
                case var _ when name.SequenceEqual("$pageview"u8):
                    fields.Type = EventType.Page;
                    fields.Event = "pageview"u8;
                    fields.Title = props.Title;
                    break;
                case var _ when name.SequenceEqual("$screen"u8):
                    fields.Type = EventType.Screen;
                    fields.Event = "screenview"u8;
                    fields.Name = props.ScreenName;
                    break;
                case var _ when name.SequenceEqual("$identify"u8) || name.SequenceEqual("$set"u8):
                    fields.Type = EventType.Identify;
                    fields.Event = "identify"u8;
                    fields.Traits = topSet.IsEmpty ? props.Set : topSet;
                    fields.UserId = distinctId;
                    fields.AnonymousId = !props.AnonDistinctId.IsEmpty ? props.AnonDistinctId : Other(props.DeviceId, distinctId);
                    return null;
                case var _ when name.SequenceEqual("$groupidentify"u8):
                    if (props.GroupKey.IsEmpty)
                    {
                        return JsonFields.Missing(index, "properties.$group_key", "is required for $groupidentify.");
                    }

                    fields.Type = EventType.Group;
                    fields.Event = "group"u8;
                    fields.GroupId = props.GroupKey;
                    fields.Traits = props.GroupSet;
                    break;
                case var _ when name.SequenceEqual("$create_alias"u8):
                    if (props.Alias.IsEmpty)
                    {
                        return JsonFields.Missing(index, "properties.alias", "is required for $create_alias: the other id of the person.");
                    }

                    fields.Type = EventType.Alias;
                    fields.Event = "alias"u8;
                    fields.UserId = distinctId;
                    fields.PreviousId = props.Alias;
                    return null;
                default:
                    fields.Type = EventType.Track;
                    fields.Event = name;
                    break;
            }

            // posthog-js says whether the person is identified; server SDKs send known ids, browsers their device id.
            var anonymous = props.IsIdentified is { } identified ? !identified : distinctId.SequenceEqual(props.DeviceId);
            if (anonymous)
            {
                fields.AnonymousId = distinctId;
            }
            else
            {
                fields.UserId = distinctId;
                fields.AnonymousId = Other(props.DeviceId, distinctId);
            }

            return null;
        }

        private static ReadOnlySpan<byte> Other(ReadOnlySpan<byte> candidate, ReadOnlySpan<byte> distinctId) =>
            candidate.SequenceEqual(distinctId) ? default : candidate;

        /// <summary>
        /// Scans an event's properties for the limits (as Segment's properties) and picks out the ones that map onto
        /// canonical columns. The reader ends on the object's end either way.
        /// </summary>
        private readonly IngestError? ReadProperties(ref Utf8JsonReader reader, ReadOnlySpan<byte> source, int index, scoped ref Props props)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return null;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return JsonFields.Invalid(index, "properties", "must be an object.");
            }

            var baseDepth = reader.CurrentDepth;
            var start = (int)reader.TokenStartIndex;
            var scan = ScanProperties(ref reader, source, ref props);
            if (scan == ScanError.None)
            {
                props.Raw = source[start..(int)reader.BytesConsumed];
                return null;
            }

            props = default;
            while (!(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == baseDepth) && reader.Read())
            {
            }

            return JsonFields.ScanFailure(scan, _options, "properties", index);
        }

        private readonly ScanError ScanProperties(ref Utf8JsonReader reader, ReadOnlySpan<byte> source, scoped ref Props props)
        {
            var keys = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (++keys > _options.MaxKeys)
                {
                    return ScanError.TooManyKeys;
                }

                if (JsonScan.CheckString(ref reader, _options) is var nameError and not ScanError.None)
                {
                    return nameError;
                }

                var prop = reader.ValueIsEscaped ? Prop.Other : Identify(reader.ValueSpan);
                if (prop == Prop.Ip)
                {
                    props.HasIp = true;
                }

                reader.Read();
                switch (reader.TokenType)
                {
                    case JsonTokenType.String:
                        {
                            if (JsonScan.CheckString(ref reader, _options) is var error and not ScanError.None)
                            {
                                return error;
                            }

                            if (prop is Prop.Other or Prop.ScreenWidth or Prop.ScreenHeight or Prop.IsIdentified or Prop.Set or Prop.GroupSet)
                            {
                                break;
                            }

                            if (!JsonScan.TryGetString(ref reader, _scratch, out var text))
                            {
                                return ScanError.InvalidEscape;
                            }

                            Capture(prop, text, ref props);
                            break;
                        }

                    case JsonTokenType.Number:
                        if (prop is Prop.ScreenWidth or Prop.ScreenHeight)
                        {
                            var value = reader.TryGetInt32(out var integer) ? integer
                                : reader.TryGetDouble(out var real) && real is >= 0 and < int.MaxValue ? (int)real
                                : 0;
                            if (value > 0)
                            {
                                (prop == Prop.ScreenWidth ? ref props.ScreenWidth : ref props.ScreenHeight) = value;
                            }
                        }
                        else if (prop is Prop.GroupKey or Prop.Alias or Prop.DistinctId && reader.ValueSpan.Length <= _options.MaxIdLength)
                        {
                            Capture(prop, reader.ValueSpan, ref props);
                        }

                        break;
                    case JsonTokenType.True or JsonTokenType.False when prop == Prop.IsIdentified:
                        props.IsIdentified = reader.TokenType == JsonTokenType.True;
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        {
                            var nested = default(Captured);
                            var isObject = reader.TokenType == JsonTokenType.StartObject;
                            var error = JsonScan.ScanObject(ref reader, source, _options, _scratch, CaptureMode.None, ref nested, outerLevels: 1);
                            if (error != ScanError.None)
                            {
                                return error;
                            }

                            if (isObject && prop == Prop.Set)
                            {
                                props.Set = nested.Raw;
                            }
                            else if (isObject && prop == Prop.GroupSet)
                            {
                                props.GroupSet = nested.Raw;
                            }

                            break;
                        }
                }
            }

            return ScanError.None;
        }

        private readonly void Capture(Prop prop, ReadOnlySpan<byte> text, scoped ref Props props)
        {
            var isId = prop is Prop.DeviceId or Prop.AnonDistinctId or Prop.GroupKey or Prop.Alias or Prop.DistinctId;
            if (isId && text.Length > _options.MaxIdLength)
            {
                return;
            }

            switch (prop)
            {
                case Prop.CurrentUrl: props.Url = text; break;
                case Prop.Pathname: props.Path = text; break;
                case Prop.Referrer:
                    // posthog-js says "$direct" when there was no referrer.
                    props.Referrer = text.SequenceEqual("$direct"u8) ? default : text;
                    break;
                case Prop.Title: props.Title = text; break;
                case Prop.ScreenName: props.ScreenName = text; break;
                case Prop.Lib: props.Lib = text; break;
                case Prop.LibVersion: props.LibVersion = text; break;
                case Prop.BrowserLanguage: props.Locale = text; break;
                case Prop.RawUserAgent: props.UserAgent = text; break;
                case Prop.Ip: props.Ip = text; break;
                case Prop.DeviceId: props.DeviceId = text; break;
                case Prop.AnonDistinctId: props.AnonDistinctId = text; break;
                case Prop.GroupKey: props.GroupKey = text; break;
                case Prop.Alias: props.Alias = text; break;
                case Prop.DistinctId: props.DistinctId = text; break;
            }
        }

        private static Prop Identify(ReadOnlySpan<byte> name) => name switch
        {
            _ when name.SequenceEqual("$current_url"u8) => Prop.CurrentUrl,
            _ when name.SequenceEqual("$pathname"u8) => Prop.Pathname,
            _ when name.SequenceEqual("$referrer"u8) => Prop.Referrer,
            _ when name.SequenceEqual("title"u8) || name.SequenceEqual("$title"u8) => Prop.Title,
            _ when name.SequenceEqual("$screen_name"u8) => Prop.ScreenName,
            _ when name.SequenceEqual("$lib"u8) => Prop.Lib,
            _ when name.SequenceEqual("$lib_version"u8) => Prop.LibVersion,
            _ when name.SequenceEqual("$browser_language"u8) => Prop.BrowserLanguage,
            _ when name.SequenceEqual("$raw_user_agent"u8) => Prop.RawUserAgent,
            _ when name.SequenceEqual("$ip"u8) => Prop.Ip,
            _ when name.SequenceEqual("$screen_width"u8) => Prop.ScreenWidth,
            _ when name.SequenceEqual("$screen_height"u8) => Prop.ScreenHeight,
            _ when name.SequenceEqual("$device_id"u8) => Prop.DeviceId,
            _ when name.SequenceEqual("$anon_distinct_id"u8) => Prop.AnonDistinctId,
            _ when name.SequenceEqual("$is_identified"u8) => Prop.IsIdentified,
            _ when name.SequenceEqual("$set"u8) => Prop.Set,
            _ when name.SequenceEqual("$group_set"u8) => Prop.GroupSet,
            _ when name.SequenceEqual("$group_key"u8) => Prop.GroupKey,
            _ when name.SequenceEqual("alias"u8) => Prop.Alias,
            _ when name.SequenceEqual("distinct_id"u8) => Prop.DistinctId,
            _ => Prop.Other,
        };
    }
}
