using System.Text;
using Weir.Core.Events;
using Weir.Lake.Hot;

namespace Weir.Lake.Tests.Hot;

public sealed class RecordDecoderTests : IDisposable
{
    private readonly RecordDecoder _decoder = new();

    public void Dispose() => _decoder.Dispose();

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    // A lambda cannot capture a ref struct, so the record is passed in.
    private static void AssertRefused(DecodedRecord record, Func<DecodedRecord, object?> read)
    {
        try
        {
            read(record);
        }
        catch (InvalidOperationException)
        {
            return;
        }

        Assert.Fail("Reading the record should have thrown InvalidOperationException.");
    }

    private const string Required =
        "\"message_id\":\"id-1\",\"site_id\":\"s1\",\"type\":\"track\",\"timestamp\":\"2026-03-14T15:09:26.535897Z\",\"received_at\":\"2026-03-14T15:09:27.000001Z\"";

    [Fact]
    public void Decoder_exposes_what_the_loader_needs_for_dedup_and_schema_discovery()
    {
        var e = Events.Full();
        var record = HotFixture.Record(e);
        Assert.True(_decoder.TryDecode(record, out var decoded, out var error), error);

        Assert.Equal(e.MessageId, Encoding.UTF8.GetString(decoded.MessageId));
        Assert.Equal("site-main", Encoding.UTF8.GetString(decoded.SiteId));
        Assert.Equal("page", Encoding.UTF8.GetString(decoded.Type));
        Assert.Equal("pageview", Encoding.UTF8.GetString(decoded.Event));
        Assert.Equal(e.Timestamp, decoded.Timestamp);
        Assert.Equal(e.ReceivedAt, decoded.ReceivedAt);
        Assert.Equal(e.Properties, Encoding.UTF8.GetString(decoded.Properties));
        Assert.Equal(e.SentAt, decoded.GetTime(RecordField.SentAt));
        Assert.Equal(2560, decoded.GetInt32(RecordField.ScreenWidth));
        Assert.Equal(e.Ip, Encoding.UTF8.GetString(decoded.GetUtf8(RecordField.Ip)));
        Assert.Equal(e.UserAgent, Encoding.UTF8.GetString(decoded.GetUtf8(RecordField.UserAgent)));
        Assert.True(record.AsSpan().SequenceEqual(decoded.Record));
    }

    [Fact]
    public void Absent_and_null_fields_read_as_absent()
    {
        var record = Utf8("{" + Required + ",\"event\":null,\"properties\":null,\"screen_width\":null,\"sent_at\":null}");
        Assert.True(_decoder.TryDecode(record, out var decoded, out var error), error);
        Assert.False(decoded.Has(RecordField.Event));
        Assert.True(decoded.Event.IsEmpty);
        Assert.False(decoded.Has(RecordField.Properties));
        Assert.True(decoded.Properties.IsEmpty);
        Assert.Null(decoded.GetInt32(RecordField.ScreenWidth));
        Assert.Null(decoded.GetTime(RecordField.SentAt));
        Assert.Null(decoded.GetTime(RecordField.OriginalTimestamp));
        Assert.False(decoded.Has(RecordField.Url));
        Assert.True(decoded.Has(RecordField.MessageId));
    }

    [Fact]
    public void Escaped_strings_are_unescaped_and_raw_strings_are_slices_of_the_record()
    {
        var record = Utf8("{" + Required.Replace("\"id-1\"", "\"id-\\u00e9\\\"1\"", StringComparison.Ordinal) +
            ",\"title\":\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\n end\",\"path\":\"/déjà-vu\"}");
        Assert.True(_decoder.TryDecode(record, out var decoded, out var error), error);
        Assert.Equal("id-é\"1", Encoding.UTF8.GetString(decoded.MessageId));
        Assert.Equal("café 😀 \"q\" \\ \n end", Encoding.UTF8.GetString(decoded.GetUtf8(RecordField.Title)));
        Assert.Equal("/déjà-vu", Encoding.UTF8.GetString(decoded.GetUtf8(RecordField.Path)));
    }

    [Fact]
    public void Escaped_keys_are_recognized()
    {
        var record = Utf8("{" + Required + ",\"\\u0074itle\":\"T\"}");
        Assert.True(_decoder.TryDecode(record, out var decoded, out var error), error);
        Assert.Equal("T", Encoding.UTF8.GetString(decoded.GetUtf8(RecordField.Title)));
    }

    [Fact]
    public void Unknown_keys_and_versions_are_skipped()
    {
        var record = Utf8("{\"v\":7," + Required +
            ",\"future\":{\"deep\":[1,{\"title\":\"not me\"}]},\"title\":\"me\",\"later\":[\"x\"],\"n\":12.5}");
        Assert.True(_decoder.TryDecode(record, out var decoded, out var error), error);
        Assert.Equal("me", Encoding.UTF8.GetString(decoded.GetUtf8(RecordField.Title)));
    }

    [Fact]
    public void Keys_in_any_order_decode_the_same()
    {
        var record = Utf8("{\"received_at\":\"2026-03-14T15:09:27.000001Z\",\"context\":{},\"type\":\"track\"," +
            "\"site_id\":\"s1\",\"timestamp\":\"2026-03-14T15:09:26.535897Z\",\"event\":\"e\",\"message_id\":\"id-1\"}");
        Assert.True(_decoder.TryDecode(record, out var decoded, out var error), error);
        Assert.Equal("id-1", Encoding.UTF8.GetString(decoded.MessageId));
        Assert.Equal("e", Encoding.UTF8.GetString(decoded.Event));
        Assert.Equal("{}", Encoding.UTF8.GetString(decoded.GetUtf8(RecordField.Context)));
        Assert.Equal(new DateTimeOffset(2026, 3, 14, 15, 9, 27, TimeSpan.Zero).AddTicks(10), decoded.ReceivedAt);
    }

    [Fact]
    public void Json_values_are_the_exact_bytes_of_the_record()
    {
        const string Properties = "{ \"a\" : \"x\\\"y\" ,\n \"é\": \"\\u00e9\", \"n\": [1, 2.50, {}] }";
        var record = Utf8("{" + Required + ",\"properties\":" + Properties + ",\"traits\":{}}");
        Assert.True(_decoder.TryDecode(record, out var decoded, out var error), error);
        Assert.Equal(Properties, Encoding.UTF8.GetString(decoded.Properties));
        Assert.Equal("{}", Encoding.UTF8.GetString(decoded.GetUtf8(RecordField.Traits)));
    }

    [Fact]
    public void A_decoded_record_cannot_be_read_after_the_next_decode()
    {
        Assert.True(_decoder.TryDecode(HotFixture.Record(Events.Minimal("first")), out var first, out _));
        Assert.True(_decoder.TryDecode(HotFixture.Record(Events.Minimal("second")), out var second, out _));
        Assert.Equal("second", Encoding.UTF8.GetString(second.MessageId));
        AssertRefused(first, r => r.MessageId.Length);
        AssertRefused(default, r => r.Timestamp);
        Assert.False(_decoder.TryDecode(Utf8("{}"), out _, out _));
        AssertRefused(second, r => r.SiteId.Length);
    }

    [Fact]
    public void Asking_a_field_for_the_wrong_kind_of_value_throws()
    {
        Assert.True(_decoder.TryDecode(HotFixture.Record(Events.Full()), out var decoded, out _));
        AssertRefused(decoded, r => r.GetUtf8(RecordField.Timestamp).Length);
        AssertRefused(decoded, r => r.GetTime(RecordField.Title));
        AssertRefused(decoded, r => r.GetInt32(RecordField.Url));
        Assert.Equal("Pricing", Encoding.UTF8.GetString(decoded.GetUtf8(RecordField.Name)));
    }

    public static TheoryData<string, string> Refused => new()
    {
        { "", "not valid JSON" },
        { "not json", "not valid JSON" },
        { "[1,2]", "not a JSON object" },
        { "\"text\"", "not a JSON object" },
        { "{" + Required, "not valid JSON" },
        { "{" + Required + "} {}", "not valid JSON" },
        { "{" + Required + ",}", "not valid JSON" },
        { "{}", "no message_id" },
        { "{" + Required.Replace("\"message_id\":\"id-1\",", "", StringComparison.Ordinal) + "}", "no message_id" },
        { "{" + Required.Replace("\"id-1\"", "\"\"", StringComparison.Ordinal) + "}", "no message_id" },
        { "{" + Required.Replace("\"id-1\"", "null", StringComparison.Ordinal) + "}", "no message_id" },
        { "{" + Required.Replace("\"site_id\":\"s1\",", "", StringComparison.Ordinal) + "}", "no site_id" },
        { "{" + Required.Replace("\"type\":\"track\",", "", StringComparison.Ordinal) + "}", "no type" },
        { "{" + Required.Replace("\"timestamp\":\"2026-03-14T15:09:26.535897Z\",", "", StringComparison.Ordinal) + "}", "no timestamp" },
        { "{" + Required.Replace(",\"received_at\":\"2026-03-14T15:09:27.000001Z\"", "", StringComparison.Ordinal) + "}", "no received_at" },
        { "{" + Required.Replace("\"id-1\"", "42", StringComparison.Ordinal) + "}", "message_id is not a string" },
        { "{" + Required + ",\"timestamp\":\"2026-02-30T00:00:00.000000Z\"}", "timestamp is not a valid time" },
        { "{" + Required + ",\"received_at\":\"yesterday\"}", "received_at is not a valid time" },
        { "{" + Required + ",\"sent_at\":12}", "sent_at is not a valid time" },
        { "{" + Required + ",\"screen_width\":\"wide\"}", "screen_width is not a 32-bit integer" },
        { "{" + Required + ",\"screen_height\":1e99}", "screen_height is not a 32-bit integer" },
        { "{" + Required + ",\"properties\":[1]}", "properties is not a JSON object" },
        { "{" + Required + ",\"context\":\"{}\"}", "context is not a JSON object" },
        { "{" + Required + ",\"title\":\"\\ud800\"}", "invalid string" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Malformed_and_incomplete_records_are_refused_with_a_reason(string record, string reason)
    {
        Assert.False(_decoder.TryDecode(Utf8(record), out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_is_refused()
    {
        var record = Utf8("{" + Required + ",\"title\":\"ab\"}");
        var at = Array.IndexOf(record, (byte)'b', record.Length - 6);
        record[at] = 0xFF;
        Assert.False(_decoder.TryDecode(record, out _, out var error));
        Assert.Equal("The record is not valid UTF-8.", error);
    }

    [Fact]
    public void Times_in_the_record_format_read_exactly()
    {
        var random = new Random(20260314);
        var min = new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;
        var max = new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero).UtcTicks;
        Span<byte> text = stackalloc byte[EventTime.FormattedLength];
        DateTimeOffset[] edges =
        [
            new(2024, 2, 29, 23, 59, 59, 999, 999, TimeSpan.Zero), new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero),
            new(2000, 12, 31, 12, 0, 0, TimeSpan.Zero), new(9999, 12, 31, 23, 59, 59, 999, 999, TimeSpan.Zero),
        ];
        for (var i = 0; i < 10_000 + edges.Length; i++)
        {
            var value = i < edges.Length ? edges[i] : EventTime.TruncateToMicroseconds(new DateTimeOffset(random.NextInt64(min, max), TimeSpan.Zero));
            EventTime.FormatUtf8(value, text);
            var record = Utf8("{" + Required.Replace("2026-03-14T15:09:26.535897Z", Encoding.ASCII.GetString(text), StringComparison.Ordinal) + "}");
            Assert.True(_decoder.TryDecode(record, out var decoded, out var error), error);
            Assert.Equal(value, decoded.Timestamp);
        }
    }

    [Theory]
    [InlineData("2026-03-14T15:09:26Z", "2026-03-14T15:09:26.000000Z")]
    [InlineData("2026-03-14T16:09:26.5+01:00", "2026-03-14T15:09:26.500000Z")]
    [InlineData("2026-03-14", "2026-03-14T00:00:00.000000Z")]
    [InlineData("2026\\u002d03-14T15:09:26.535897Z", "2026-03-14T15:09:26.535897Z")]
    public void Other_iso8601_times_still_load(string given, string expected)
    {
        var record = Utf8("{" + Required.Replace("2026-03-14T15:09:26.535897Z", given, StringComparison.Ordinal) + "}");
        Assert.True(_decoder.TryDecode(record, out var decoded, out var error), error);
        Assert.Equal(expected, EventTime.Format(decoded.Timestamp));
    }

    [Theory]
    [InlineData("2026-13-14T15:09:26.535897Z")]
    [InlineData("2026-03-14T24:09:26.535897Z")]
    [InlineData("2026-03-14T15:60:26.535897Z")]
    [InlineData("2026-03-14T15:09:60.535897Z")]
    [InlineData("2026-03-14T15:09:26.53589xZ")]
    [InlineData("0000-03-14T15:09:26.535897Z")]
    [InlineData("2025-02-29T15:09:26.535897Z")]
    public void Impossible_times_in_the_record_format_are_refused(string given)
    {
        var record = Utf8("{" + Required.Replace("2026-03-14T15:09:26.535897Z", given, StringComparison.Ordinal) + "}");
        Assert.False(_decoder.TryDecode(record, out _, out var error));
        Assert.Contains("timestamp is not a valid time", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Many_escaped_values_grow_the_buffer_without_corrupting_earlier_ones()
    {
        var big = new string('x', 10_000);
        var record = Utf8("{" + Required + ",\"title\":\"\\u00e9" + big + "\",\"url\":\"\\u00e8" + big + "\",\"host\":\"h\\u00e0\"}");
        Assert.True(_decoder.TryDecode(record, out var decoded, out var error), error);
        Assert.Equal("é" + big, Encoding.UTF8.GetString(decoded.GetUtf8(RecordField.Title)));
        Assert.Equal("è" + big, Encoding.UTF8.GetString(decoded.GetUtf8(RecordField.Url)));
        Assert.Equal("hà", Encoding.UTF8.GetString(decoded.GetUtf8(RecordField.Host)));
    }
}
