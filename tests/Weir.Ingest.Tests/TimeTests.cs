using System.Text;
using Weir.Core.Events;
using Weir.Ingest.Segment;
using static Weir.Ingest.Tests.Ingest;

namespace Weir.Ingest.Tests;

public class TimeTests
{
    private static DateTimeOffset T(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void With_sent_at_the_timestamp_is_received_minus_the_client_delay()
    {
        // The client's clock is 1 h 5 min fast; the event happened 30 s before it was sent.
        var e = Single(SegmentCall.Track, J("{'userId':'u','event':'x','timestamp':'2024-05-01T13:04:30Z','sentAt':'2024-05-01T13:05:00Z'}"));
        Assert.Equal(T("2024-05-01T11:59:30Z"), e.Timestamp);
        Assert.Equal(T("2024-05-01T13:04:30Z"), e.OriginalTimestamp);
        Assert.Equal(T("2024-05-01T13:05:00Z"), e.SentAt);
        Assert.Equal(Received, e.ReceivedAt);
    }

    [Fact]
    public void The_batch_sent_at_applies_to_every_event()
    {
        var (_, sink) = Run(SegmentCall.Batch, J("""
            {'batch':[{'type':'track','userId':'u','event':'a','timestamp':'2024-05-01T10:00:00.000Z'},
                      {'type':'track','userId':'u','event':'b','timestamp':'2024-05-01T10:00:09.5Z'}],
             'sentAt':'2024-05-01T10:00:10.000Z'}
            """));
        var events = sink.Events;
        Assert.Equal(T("2024-05-01T11:59:50Z"), events[0].Timestamp);
        Assert.Equal(T("2024-05-01T11:59:59.5Z"), events[1].Timestamp);
    }

    [Fact]
    public void Without_sent_at_the_client_timestamp_is_kept()
    {
        var e = Single(SegmentCall.Track, J("{'userId':'u','event':'x','timestamp':'2024-04-30T08:00:00+02:00'}"));
        Assert.Equal(T("2024-04-30T06:00:00Z"), e.Timestamp);
        Assert.Null(e.SentAt);
    }

    [Fact]
    public void Without_any_client_time_the_timestamp_is_the_receive_time()
    {
        var e = Single(SegmentCall.Track, J("{'userId':'u','event':'x','sentAt':'2024-05-01T11:00:00Z'}"));
        Assert.Equal(Received, e.Timestamp);
        Assert.Null(e.OriginalTimestamp);
    }

    [Fact]
    public void A_timestamp_too_far_in_the_future_is_clamped_and_the_original_kept()
    {
        var e = Single(SegmentCall.Track, J("{'userId':'u','event':'x','timestamp':'2024-05-01T21:00:00Z'}"));
        Assert.Equal(Received, e.Timestamp);
        Assert.Equal(T("2024-05-01T21:00:00Z"), e.OriginalTimestamp);
    }

    [Fact]
    public void A_timestamp_within_the_tolerance_is_kept()
    {
        var e = Single(SegmentCall.Track, J("{'userId':'u','event':'x','timestamp':'2024-05-01T12:59:00Z'}"));
        Assert.Equal(T("2024-05-01T12:59:00Z"), e.Timestamp);
    }

    [Fact]
    public void An_event_after_its_own_sent_at_is_clamped_after_correction()
    {
        var e = Single(SegmentCall.Track, J("{'userId':'u','event':'x','timestamp':'2024-05-03T00:00:00Z','sentAt':'2024-05-01T00:00:00Z'}"));
        Assert.Equal(Received, e.Timestamp);
    }

    [Fact]
    public void An_old_event_is_never_clamped()
    {
        var e = Single(SegmentCall.Track, J("{'userId':'u','event':'x','timestamp':'2019-01-01T00:00:00Z'}"));
        Assert.Equal(T("2019-01-01T00:00:00Z"), e.Timestamp);
    }

    [Theory]
    [InlineData("2024-05-01T10:00:00Z", "2024-05-01T10:00:00.0000000+00:00")]
    [InlineData("2024-05-01T10:00:00.123Z", "2024-05-01T10:00:00.1230000+00:00")]
    [InlineData("2024-05-01T10:00:00.123456789Z", "2024-05-01T10:00:00.1234567+00:00")]
    [InlineData("2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00.0000000+00:00")]
    [InlineData("2024-05-01T12:00:00.5+0200", "2024-05-01T10:00:00.5000000+00:00")]
    [InlineData("2024-05-01T05:00:00-05", "2024-05-01T10:00:00.0000000+00:00")]
    [InlineData("2024-05-01T10:00:00", "2024-05-01T10:00:00.0000000+00:00")]
    [InlineData("2024-05-01 10:00:00z", "2024-05-01T10:00:00.0000000+00:00")]
    [InlineData("2024-05-01T10:00Z", "2024-05-01T10:00:00.0000000+00:00")]
    [InlineData("2024-05-01", "2024-05-01T00:00:00.0000000+00:00")]
    public void The_iso_8601_variants_sdks_send_are_read(string text, string expected)
    {
        Assert.True(EventTime.TryParseIso8601(Encoding.ASCII.GetBytes(text), out var value));
        Assert.Equal(expected, value.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2024-13-01T00:00:00Z")]
    [InlineData("2024-02-30T00:00:00Z")]
    [InlineData("2024-05-01T24:00:00Z")]
    [InlineData("2024-05-01T10:00:00.Z")]
    [InlineData("2024-05-01T10:00:00+15:00")]
    [InlineData("2024-05-01T10:00:00Zjunk")]
    [InlineData("1714557600")]
    [InlineData("")]
    public void Unreadable_times_are_refused(string text)
    {
        Assert.False(EventTime.TryParseIso8601(Encoding.ASCII.GetBytes(text), out _));
    }

    [Fact]
    public void An_unparseable_timestamp_is_a_field_error()
    {
        var (result, sink) = Run(SegmentCall.Track, J("{'userId':'u','event':'x','timestamp':'May 1st'}"));
        var error = Assert.Single(result.Errors);
        Assert.Equal((IngestErrorKind.InvalidField, "timestamp"), (error.Kind, error.Field));
        Assert.Empty(sink.Records);
    }

    [Fact]
    public void A_numeric_timestamp_is_a_field_error()
    {
        var (result, _) = Run(SegmentCall.Track, J("{'userId':'u','event':'x','timestamp':1714557600000}"));
        Assert.Equal("timestamp", Assert.Single(result.Errors).Field);
    }

    [Fact]
    public void An_unparseable_batch_sent_at_rejects_the_whole_batch()
    {
        var (result, _) = Run(SegmentCall.Batch, J("{'batch':[{'type':'track','userId':'u','event':'a'}],'sentAt':'now'}"));
        Assert.Equal((IngestErrorKind.InvalidField, "sentAt"), (result.BodyError!.Kind, result.BodyError.Field));
    }

    [Fact]
    public void Record_timestamps_are_utc_with_microseconds()
    {
        var (_, sink) = Run(SegmentCall.Track, J("{'userId':'u','event':'x','timestamp':'2024-05-01T13:00:00.1234567+02:00'}"));
        var text = Encoding.UTF8.GetString(sink.Records[0]);
        Assert.Contains("\"timestamp\":\"2024-05-01T11:00:00.123456Z\"", text, StringComparison.Ordinal);
        Assert.Contains("\"original_timestamp\":\"2024-05-01T11:00:00.123456Z\"", text, StringComparison.Ordinal);
        Assert.Contains("\"received_at\":\"2024-05-01T12:00:00.000000Z\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_future_tolerance_is_an_option()
    {
        var ingest = new SegmentIngest(new IngestOptions { FutureTolerance = TimeSpan.FromHours(23) });
        var sink = new CollectingSink();
        ingest.Parse(SegmentCall.Track, Encoding.UTF8.GetBytes(J("{'userId':'u','event':'x','timestamp':'2024-05-01T21:00:00Z'}")), Context(), sink);
        Assert.Equal(T("2024-05-01T21:00:00Z"), sink.Events[0].Timestamp);
    }

    [Fact]
    public void Record_timestamps_match_the_framework_formatting_across_the_calendar()
    {
        // The formatter does its own date and time arithmetic; every field must agree with .NET's, leap days included.
        var random = new Random(20261122);
        var samples = new List<DateTimeOffset>
        {
            DateTimeOffset.MinValue, DateTimeOffset.MaxValue.AddTicks(-9),
            T("2024-02-29T23:59:59.999999Z"), T("2000-01-01T00:00:00Z"), T("1999-12-31T23:59:59.5Z"),
        };
        for (var i = 0; i < 10_000; i++)
        {
            samples.Add(new DateTimeOffset(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), TimeSpan.Zero)
                .ToOffset(TimeSpan.FromMinutes(random.Next(-14 * 60, 14 * 60))));
        }

        foreach (var value in samples)
        {
            var expected = value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(expected, EventTime.Format(value));
        }
    }
}
