using System.Text;
using Weir.Core.Events;
using Weir.Lake.Hot;
using Weir.Lake.Loading;

namespace Weir.Lake.Tests.Loading;

public sealed class DedupKeyReaderTests : IDisposable
{
    private const string Received = "\"received_at\":\"2026-03-14T15:09:27.000001Z\"";
    private readonly RecordDecoder _decoder = new();

    public void Dispose() => _decoder.Dispose();

    public static TheoryData<string, string> Events() => new()
    {
        { "plain", "m-1" },
        { "unicode", "café-ü-id" },
        { "emoji", "id-😀" },
        { "escaped quote", "a\"b" },
        { "escaped backslash", "a\\b" },
        { "control character", "a\u0001b" },
        { "slash", "a/b" },
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void Agrees_with_the_full_decoder_or_declines(string label, string messageId)
    {
        var e = new CanonicalEvent
        {
            MessageId = messageId,
            SiteId = "site-é",
            Protocol = EventProtocol.Segment,
            Type = EventType.Page,
            Name = "Home \"page\"",
            UserId = "u\\1",
            AnonymousId = "anon",
            Timestamp = new DateTimeOffset(2026, 3, 14, 15, 9, 26, TimeSpan.Zero).AddTicks(5358),
            ReceivedAt = new DateTimeOffset(2026, 3, 14, 15, 9, 27, TimeSpan.Zero).AddTicks(12),
            Path = "/a",
        };
        var record = CanonicalEventWriter.ToUtf8(e);
        Assert.True(_decoder.TryDecode(record, out var decoded, out var error), error);
        var expectedKey = MessageIdHash.Compute(decoded.SiteId, decoded.MessageId);
        var expectedReceived = decoded.ReceivedAt;

        // The writer escapes quotes, backslashes, control characters and characters outside the Basic Multilingual
        // Plane (and nothing else): only then may the reader
        // decline, and the loader decodes that record in full instead. Escapes elsewhere (name, user_id) are skipped.
        var escaped = messageId.Any(c => c is '"' or '\\' or < ' ' || char.IsSurrogate(c));
        var read = DedupKeyReader.TryRead(record, out var key, out var received);
        Assert.True(read != escaped, $"{label}: the reader answered {read}");
        if (!escaped)
        {
            Assert.Equal(expectedKey, key);
            Assert.Equal(expectedReceived, received);
        }
    }

    [Fact]
    public void Reads_a_plain_record_the_canonical_writer_made()
    {
        var e = new CanonicalEvent
        {
            MessageId = "m-42",
            SiteId = "s1",
            Protocol = EventProtocol.Segment,
            Type = EventType.Track,
            Event = "Signup",
            Timestamp = new DateTimeOffset(2026, 3, 14, 15, 0, 0, TimeSpan.Zero),
            ReceivedAt = new DateTimeOffset(2026, 3, 14, 15, 0, 1, TimeSpan.Zero),
            Properties = """{"plan":"pro"}""",
        };
        Assert.True(DedupKeyReader.TryRead(CanonicalEventWriter.ToUtf8(e), out var key, out var received));
        Assert.Equal(MessageIdHash.Compute("s1"u8, "m-42"u8), key);
        Assert.Equal(e.ReceivedAt, received);
    }

    [Theory]
    [InlineData("""{"message_id":"a\"b","site_id":"s",""" + Received + "}")]          // an escape in the id
    [InlineData("""{"message_id":"a","site_id":"s\u0041",""" + Received + "}")]     // an escape in the site
    [InlineData("""{ "message_id":"a","site_id":"s",""" + Received + "}")]          // whitespace
    [InlineData("""{"message_id":"a","nested":{"x":1},"site_id":"s",""" + Received + "}")] // an object first
    [InlineData("""{"message_id":"a","list":[1,2],"site_id":"s",""" + Received + "}")]    // an array first
    [InlineData("""{"message_id":1,"site_id":"s",""" + Received + "}")]             // a number for the id
    [InlineData("""{"message_id":null,"site_id":"s",""" + Received + "}")]          // null for the id
    [InlineData("""{"message_id":"","site_id":"s",""" + Received + "}")]            // an empty id
    [InlineData("""{"message_id":"a",""" + Received + "}")]                         // no site
    [InlineData("""{"message_id":"a","site_id":"s","received_at":"yesterday"}""")] // not a time
    [InlineData("""{"message_id":"a","site_id":"s","v":1}""")]                     // no received_at
    [InlineData("""{"message_id":"a","site_id":"s",""")]                           // cut short
    [InlineData("""{"message_id":"a""")]
    [InlineData("""[]""")]
    [InlineData("")]
    [InlineData("""{"mess\u0061ge_id":"a","site_id":"s",""" + Received + "}")]    // an escaped key
    public void Declines_what_it_cannot_read_for_certain(string json)
    {
        Assert.False(DedupKeyReader.TryRead(Encoding.UTF8.GetBytes(json), out _, out _));
    }

    [Fact]
    public void Skips_flat_fields_before_the_ones_it_needs()
    {
        var json = """{"v":1,"protocol":"segment","event":"a \"quoted\" \\ name","flag":true,"n":-1.5e3,"message_id":"m","site_id":"s",""" + Received + ""","properties":{"x":[1]}}""";
        Assert.True(DedupKeyReader.TryRead(Encoding.UTF8.GetBytes(json), out var key, out var received));
        Assert.Equal(MessageIdHash.Compute("s"u8, "m"u8), key);
        Assert.Equal(new DateTimeOffset(2026, 3, 14, 15, 9, 27, TimeSpan.Zero).AddTicks(10), received);
    }
}
