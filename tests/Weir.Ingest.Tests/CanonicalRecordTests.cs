using System.Text;
using Weir.Core.Events;

namespace Weir.Ingest.Tests;

public class CanonicalRecordTests
{
    [Fact]
    public void A_record_written_from_the_model_reads_back_field_for_field()
    {
        var e = new CanonicalEvent
        {
            MessageId = "m-1",
            SiteId = "s",
            Protocol = EventProtocol.Sdk,
            Type = EventType.Group,
            Event = "group",
            UserId = "u",
            AnonymousId = "a",
            GroupId = "g",
            Timestamp = new DateTimeOffset(2024, 5, 1, 1, 2, 3, TimeSpan.Zero).AddTicks(1234560),
            OriginalTimestamp = DateTimeOffset.UnixEpoch,
            SentAt = DateTimeOffset.UnixEpoch.AddSeconds(1),
            ReceivedAt = new DateTimeOffset(2024, 5, 1, 1, 2, 4, TimeSpan.Zero),
            Url = "https://x.example/a?b",
            Host = "x.example",
            Path = "/a",
            Query = "b",
            Title = "T",
            Referrer = "R",
            Locale = "de",
            ScreenWidth = 10,
            ScreenHeight = 20,
            Library = "lib/1",
            UserAgent = "UA",
            Ip = "::1",
            Properties = """{"a":[1,{"b":"ü"}]}""",
            Traits = "{}",
            Context = """{"x":null}""",
        };
        var record = CanonicalEventWriter.ToUtf8(e);
        var back = CanonicalEventReader.Read(record);
        Assert.Equivalent(e, back, strict: true);
        Assert.StartsWith("{\"v\":1,\"message_id\":\"m-1\",\"site_id\":\"s\",\"protocol\":\"sdk\",\"type\":\"group\"", Encoding.UTF8.GetString(record), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]", "JSON object")]
    [InlineData("{\"type\":\"track\",\"protocol\":\"segment\",\"timestamp\":\"2024-05-01T00:00:00Z\",\"received_at\":\"2024-05-01T00:00:00Z\"}", "message_id")]
    [InlineData("{\"message_id\":\"m\",\"type\":\"click\",\"protocol\":\"segment\",\"timestamp\":\"2024-05-01T00:00:00Z\",\"received_at\":\"2024-05-01T00:00:00Z\"}", "type")]
    [InlineData("{\"message_id\":\"m\",\"type\":\"track\",\"protocol\":\"segment\",\"timestamp\":\"soon\",\"received_at\":\"2024-05-01T00:00:00Z\"}", "timestamp")]
    [InlineData("{\"message_id\":\"m\"", "not valid JSON")]
    public void Records_that_are_not_valid_are_refused_with_a_reason(string record, string reason)
    {
        Assert.False(CanonicalEventReader.TryRead(Encoding.UTF8.GetBytes(record), out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_record_keys_are_skipped()
    {
        var e = CanonicalEventReader.Read("{\"v\":2,\"message_id\":\"m\",\"future\":{\"x\":[1]},\"type\":\"page\",\"protocol\":\"pixel\",\"timestamp\":\"2024-05-01T00:00:00.000000Z\",\"received_at\":\"2024-05-01T00:00:00.000000Z\"}"u8);
        Assert.Equal((2, EventType.Page, EventProtocol.Pixel), (e.Version, e.Type, e.Protocol));
    }
}
