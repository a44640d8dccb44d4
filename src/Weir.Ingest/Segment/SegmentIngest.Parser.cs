using System.Text.Json;
using Weir.Core.Events;
using Weir.Ingest.Internal;

namespace Weir.Ingest.Segment;

public sealed partial class SegmentIngest
{
    /// <summary>The fields of a Segment message this parser reads; others are skipped.</summary>
    private enum Member
    {
        Other,
        Type,
        MessageId,
        UserId,
        AnonymousId,
        Timestamp,
        SentAt,
        Event,
        Name,
        Properties,
        Traits,
        Context,
        GroupId,
        PreviousId,
        WriteKey,
        Batch,
    }

    /// <summary>One parse of one body. Holds the batch-level values the items inherit.</summary>
    private ref struct Parser
    {
        private readonly IngestOptions _options;
        private readonly IngestScratch _scratch;
        private readonly ReadOnlySpan<byte> _body;
        private readonly bool _idRequired;
        private List<IngestError>? _errors;
        private int _accepted;
        private DateTimeOffset? _batchSentAt;
        private Captured _batchContext;
        private ReadOnlySpan<byte> _writeKey;

        public Parser(IngestOptions options, IngestScratch scratch, ReadOnlySpan<byte> body, EventProtocol protocol)
        {
            _options = options;
            _scratch = scratch;
            _body = body;
            // Weir's own tracker keeps no ids in the browser: the loader's cookieless visitor_id stands in, as for the pixel.
            _idRequired = protocol != EventProtocol.Tracker;
        }

        public IngestResult ParseSingle<TSink>(EventType type, in IngestContext context, ref TSink sink)
            where TSink : IRecordSink, allows ref struct
        {
            var reader = new Utf8JsonReader(_body, ReaderOptions);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                reader.Read();
                return IngestResult.Fail(new IngestError(IngestErrorKind.InvalidJson, null, "The body must be a JSON object."));
            }

            var fields = default(RecordFields);
            var itemKey = default(ReadOnlySpan<byte>);
            var error = ParseItem(ref reader, _body, -1, type, ref fields, ref itemKey);

            // Anything after the object fails here, before the record is written.
            reader.Read();
            var writeKey = itemKey.IsEmpty ? null : Decode(itemKey);
            if (error is not null)
            {
                return new IngestResult(0, [error], null, writeKey);
            }

            return Emit(ref fields, in context, ref sink)
                ? new IngestResult(1, null, null, writeKey)
                : Unavailable(writeKey);
        }

        public IngestResult ParseBatch<TSink>(in IngestContext context, ref TSink sink)
            where TSink : IRecordSink, allows ref struct
        {
            // Pass 1: the envelope. Skipping the batch array validates its syntax, so items cannot fail as JSON.
            var reader = new Utf8JsonReader(_body, ReaderOptions);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                reader.Read();
                return IngestResult.Fail(new IngestError(
                    IngestErrorKind.InvalidJson, null, "The body must be a JSON object with a batch array."));
            }

            int batchStart = -1, batchEnd = -1;
            IngestError? envelopeError = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var member = Identify(ref reader);
                reader.Read();
                if (envelopeError is not null)
                {
                    reader.Skip();
                    continue;
                }

                switch (member)
                {
                    case Member.Batch:
                        if (reader.TokenType == JsonTokenType.StartArray)
                        {
                            batchStart = (int)reader.TokenStartIndex;
                            reader.Skip();
                            batchEnd = (int)reader.BytesConsumed;
                        }
                        else
                        {
                            envelopeError = new IngestError(IngestErrorKind.InvalidField, "batch", "must be an array of events.");
                            reader.Skip();
                        }

                        break;
                    case Member.SentAt:
                        envelopeError = ReadTime(ref reader, "sentAt", -1, out _batchSentAt);
                        break;
                    case Member.Context:
                        envelopeError = ReadObject(ref reader, _body, "context", -1, CaptureMode.Context, ref _batchContext);
                        break;
                    case Member.WriteKey:
                        envelopeError = ReadWriteKey(ref reader, "writeKey", -1, ref _writeKey);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            reader.Read();
            if (envelopeError is not null)
            {
                return IngestResult.Fail(envelopeError, WriteKeyString());
            }

            if (batchStart < 0)
            {
                return IngestResult.Fail(
                    new IngestError(IngestErrorKind.MissingField, "batch", "is required: an array of events."),
                    WriteKeyString());
            }

            var arenaMark = _scratch.ArenaMark;
            var items = _body[batchStart..batchEnd];
            var itemReader = new Utf8JsonReader(items, ReaderOptions);
            itemReader.Read();
            var index = 0;
            var keyFromItems = default(ReadOnlySpan<byte>);
            while (itemReader.Read() && itemReader.TokenType != JsonTokenType.EndArray)
            {
                _scratch.ResetArena(arenaMark);
                var itemStart = (int)itemReader.TokenStartIndex;
                IngestError? error;
                var fields = default(RecordFields);
                if (itemReader.TokenType == JsonTokenType.StartObject)
                {
                    var itemKey = default(ReadOnlySpan<byte>);
                    error = ParseItem(ref itemReader, items, index, null, ref fields, ref itemKey);
                    if (keyFromItems.IsEmpty && !itemKey.IsEmpty)
                    {
                        keyFromItems = itemKey;
                    }
                }
                else
                {
                    itemReader.Skip();
                    error = new IngestError(IngestErrorKind.InvalidField, Path(index, null), "must be an event object.", index);
                }

                var size = (int)itemReader.BytesConsumed - itemStart;
                if (!fields.Context.IsEmpty && !_batchContext.Raw.IsEmpty)
                {
                    size += _batchContext.Raw.Length;
                }

                if (size > _options.MaxEventBytes)
                {
                    error = new IngestError(
                        IngestErrorKind.EventTooLarge,
                        Path(index, null),
                        $"is {size} bytes (with the batch's context, if any); the limit is {_options.MaxEventBytes}.",
                        index);
                }

                if (error is not null)
                {
                    (_errors ??= []).Add(error);
                }
                else if (!Emit(ref fields, in context, ref sink))
                {
                    return Unavailable(WriteKeyString(keyFromItems));
                }

                index++;
            }

            return new IngestResult(_accepted, _errors, null, WriteKeyString(keyFromItems));
        }

        private readonly string? WriteKeyString(ReadOnlySpan<byte> fallback = default) =>
            !_writeKey.IsEmpty ? Decode(_writeKey) : !fallback.IsEmpty ? Decode(fallback) : null;

        private readonly IngestResult Unavailable(string? writeKey) =>
            new(_accepted, _errors, new IngestError(IngestErrorKind.Unavailable, null, "Ingest is not accepting events now; retry later."), writeKey);

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
        /// Reads one message object (the reader is on its start) into <paramref name="fields"/>. Returns the first
        /// problem, or null. The reader ends on the object's end either way.
        /// </summary>
        private readonly IngestError? ParseItem(
            ref Utf8JsonReader reader,
            ReadOnlySpan<byte> source,
            int index,
            EventType? fixedType,
            ref RecordFields fields,
            ref ReadOnlySpan<byte> writeKey)
        {
            IngestError? error = null;
            var typeText = default(ReadOnlySpan<byte>);
            var hasType = false;
            var props = default(Captured);
            var ctx = default(Captured);
            var traits = default(Captured);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var member = Identify(ref reader);
                reader.Read();
                if (error is not null)
                {
                    reader.Skip();
                    continue;
                }

                switch (member)
                {
                    case Member.Type:
                        hasType = true;
                        error = ReadText(ref reader, "type", index, 32, allowNumber: false, ref typeText);
                        break;
                    case Member.MessageId:
                        error = ReadText(ref reader, "messageId", index, _options.MaxIdLength, allowNumber: true, ref fields.MessageId);
                        break;
                    case Member.UserId:
                        error = ReadText(ref reader, "userId", index, _options.MaxIdLength, allowNumber: true, ref fields.UserId);
                        break;
                    case Member.AnonymousId:
                        error = ReadText(ref reader, "anonymousId", index, _options.MaxIdLength, allowNumber: true, ref fields.AnonymousId);
                        break;
                    case Member.GroupId:
                        error = ReadText(ref reader, "groupId", index, _options.MaxIdLength, allowNumber: true, ref fields.GroupId);
                        break;
                    case Member.PreviousId:
                        error = ReadText(ref reader, "previousId", index, _options.MaxIdLength, allowNumber: true, ref fields.PreviousId);
                        break;
                    case Member.Event:
                        error = ReadText(ref reader, "event", index, _options.MaxEventNameLength, allowNumber: false, ref fields.Event);
                        break;
                    case Member.Name:
                        error = ReadText(ref reader, "name", index, _options.MaxEventNameLength, allowNumber: false, ref fields.Name);
                        break;
                    case Member.Timestamp:
                        error = ReadTime(ref reader, "timestamp", index, out fields.ClientTimestamp);
                        break;
                    case Member.SentAt:
                        error = ReadTime(ref reader, "sentAt", index, out fields.SentAt);
                        break;
                    case Member.Properties:
                        error = ReadObject(ref reader, source, "properties", index, CaptureMode.Properties, ref props);
                        break;
                    case Member.Traits:
                        error = ReadObject(ref reader, source, "traits", index, CaptureMode.None, ref traits);
                        break;
                    case Member.Context:
                        error = ReadObject(ref reader, source, "context", index, CaptureMode.Context, ref ctx);
                        break;
                    case Member.WriteKey:
                        error = ReadWriteKey(ref reader, "writeKey", index, ref writeKey);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            if (error is not null)
            {
                return error;
            }

            EventType type;
            if (fixedType is { } known)
            {
                type = known;
            }
            else if (!hasType || typeText.IsEmpty)
            {
                return Missing(index, "type", "is required: track, page, screen, identify, group or alias.");
            }
            else if (!EventNames.TryParseType(typeText, out type))
            {
                return new IngestError(
                    IngestErrorKind.InvalidField, Path(index, "type"),
                    "must be track, page, screen, identify, group or alias.", index);
            }

            fields.Type = type;
            switch (type)
            {
                case EventType.Alias:
                    if (fields.UserId.IsEmpty)
                    {
                        return Missing(index, "userId", "is required for alias.");
                    }

                    if (fields.PreviousId.IsEmpty)
                    {
                        return Missing(index, "previousId", "is required for alias.");
                    }

                    break;
                case EventType.Track when fields.Event.IsEmpty:
                    return Missing(index, "event", "is required for track: the event's name.");
                case EventType.Group when fields.GroupId.IsEmpty:
                    return Missing(index, "groupId", "is required for group.");
            }

            if (_idRequired && fields.UserId.IsEmpty && fields.AnonymousId.IsEmpty)
            {
                return Missing(index, "userId", "or anonymousId is required.");
            }

            // Context: the event's own values, then the batch's.
            fields.Context = ctx.Raw;
            fields.ContextHasIp = ctx.HasIp;
            fields.BatchContext = _batchContext.Raw;
            fields.BatchContextHasIp = _batchContext.HasIp;
            ctx.FillFrom(in _batchContext);
            fields.SentAt ??= _batchSentAt;
            fields.Properties = props.Raw;
            fields.Traits = traits.Raw;
            fields.Locale = ctx.Locale;
            fields.UserAgent = ctx.UserAgent;
            fields.Ip = ctx.Ip;
            fields.LibraryName = ctx.LibraryName;
            fields.LibraryVersion = ctx.LibraryVersion;
            fields.ScreenWidth = ctx.ScreenWidth;
            fields.ScreenHeight = ctx.ScreenHeight;
            if (type == EventType.Page)
            {
                // A page call's properties describe the page; context.page fills the gaps.
                props.FillFrom(in ctx);
                fields.Url = props.Url;
                fields.Path = props.Path;
                fields.Query = props.Search;
                fields.Title = props.Title;
                fields.Referrer = props.Referrer;
            }
            else
            {
                fields.Url = ctx.Url;
                fields.Path = ctx.Path;
                fields.Query = ctx.Search;
                fields.Title = ctx.Title;
                fields.Referrer = ctx.Referrer;
            }

            switch (type)
            {
                case EventType.Page:
                    fields.Event = "pageview"u8;
                    if (fields.Name.IsEmpty)
                    {
                        fields.Name = props.Name;
                    }

                    break;
                case EventType.Screen:
                    fields.Event = "screenview"u8;
                    if (fields.Name.IsEmpty)
                    {
                        fields.Name = props.Name;
                    }

                    break;
                case EventType.Track:
                    fields.Name = default;
                    break;
                default:
                    fields.Event = type.Utf8Name();
                    fields.Name = default;
                    break;
            }

            if (type != EventType.Alias)
            {
                fields.PreviousId = default;
            }

            if (type != EventType.Group)
            {
                fields.GroupId = default;
            }

            return null;
        }

        private readonly IngestError? ReadText(
            scoped ref Utf8JsonReader reader,
            string name,
            int index,
            int maxLength,
            bool allowNumber,
            ref ReadOnlySpan<byte> value) =>
            JsonFields.ReadText(ref reader, _scratch, name, index, maxLength, allowNumber, ref value);

        private static IngestError? ReadWriteKey(ref Utf8JsonReader reader, string name, int index, ref ReadOnlySpan<byte> value) =>
            JsonFields.ReadKey(ref reader, name, index, ref value);

        private static IngestError? ReadTime(ref Utf8JsonReader reader, string name, int index, out DateTimeOffset? value) =>
            JsonFields.ReadTime(ref reader, name, index, out value);

        private readonly IngestError? ReadObject(
            ref Utf8JsonReader reader,
            ReadOnlySpan<byte> source,
            string name,
            int index,
            CaptureMode mode,
            ref Captured captured) =>
            JsonFields.ReadObject(ref reader, source, _options, _scratch, name, index, mode, ref captured);

        private static Member Identify(ref Utf8JsonReader reader)
        {
            if (reader.ValueIsEscaped)
            {
                return IdentifyEscaped(ref reader);
            }

            var name = reader.ValueSpan;
            return name.Length switch
            {
                4 when name.SequenceEqual("type"u8) => Member.Type,
                4 when name.SequenceEqual("name"u8) => Member.Name,
                5 when name.SequenceEqual("event"u8) => Member.Event,
                5 when name.SequenceEqual("batch"u8) => Member.Batch,
                6 when name.SequenceEqual("userId"u8) => Member.UserId,
                6 when name.SequenceEqual("sentAt"u8) => Member.SentAt,
                6 when name.SequenceEqual("traits"u8) => Member.Traits,
                7 when name.SequenceEqual("context"u8) => Member.Context,
                7 when name.SequenceEqual("groupId"u8) => Member.GroupId,
                8 when name.SequenceEqual("writeKey"u8) => Member.WriteKey,
                9 when name.SequenceEqual("messageId"u8) => Member.MessageId,
                9 when name.SequenceEqual("timestamp"u8) => Member.Timestamp,
                10 when name.SequenceEqual("properties"u8) => Member.Properties,
                10 when name.SequenceEqual("previousId"u8) => Member.PreviousId,
                11 when name.SequenceEqual("anonymousId"u8) => Member.AnonymousId,
                _ => Member.Other,
            };
        }

        private static Member IdentifyEscaped(ref Utf8JsonReader reader)
        {
            if (reader.ValueSpan.Length > 80)
            {
                return Member.Other;
            }

            Span<byte> buffer = stackalloc byte[80];
            int length;
            try
            {
                length = reader.CopyString(buffer);
            }
            catch (InvalidOperationException)
            {
                return Member.Other;
            }

            return IdentifyUnescaped(buffer[..length]);
        }

        private static Member IdentifyUnescaped(ReadOnlySpan<byte> name)
        {
            for (var m = Member.Type; m <= Member.Batch; m++)
            {
                if (MemberName(m).SequenceEqual(name))
                {
                    return m;
                }
            }

            return Member.Other;
        }

        private static ReadOnlySpan<byte> MemberName(Member member) => member switch
        {
            Member.Type => "type"u8,
            Member.MessageId => "messageId"u8,
            Member.UserId => "userId"u8,
            Member.AnonymousId => "anonymousId"u8,
            Member.Timestamp => "timestamp"u8,
            Member.SentAt => "sentAt"u8,
            Member.Event => "event"u8,
            Member.Name => "name"u8,
            Member.Properties => "properties"u8,
            Member.Traits => "traits"u8,
            Member.Context => "context"u8,
            Member.GroupId => "groupId"u8,
            Member.PreviousId => "previousId"u8,
            Member.WriteKey => "writeKey"u8,
            Member.Batch => "batch"u8,
            _ => default,
        };

        private static IngestError Missing(int index, string name, string message) => JsonFields.Missing(index, name, message);
    }

    internal static string Path(int index, string? name) => JsonFields.Path(index, name);
}
