using System.Text;
using Weir.Core.Events;
using Weir.Ingest.Segment;
using static Weir.Ingest.Tests.Ingest;

namespace Weir.Ingest.Tests;

public class IdentityTests
{
    [Fact]
    public void A_message_id_from_the_client_is_preserved()
    {
        Assert.Equal("ajs-3f1c", Single(SegmentCall.Track, J("{'userId':'u','event':'x','messageId':'ajs-3f1c'}")).MessageId);
    }

    [Fact]
    public void A_missing_message_id_becomes_a_uuid_v7_from_the_receive_time()
    {
        var (_, sink) = Run(SegmentCall.Batch, J("{'batch':[{'type':'track','userId':'u','event':'a'},{'type':'track','userId':'u','event':'b','messageId':''}]}"));
        var ids = sink.Events.Select(e => Guid.Parse(e.MessageId)).ToArray();
        Assert.Equal(2, ids.Length);
        Assert.NotEqual(ids[0], ids[1]);
        foreach (var id in ids)
        {
            Assert.Equal(7, id.Version);
            var bytes = id.ToByteArray(bigEndian: true);
            var millis = ((long)bytes[0] << 40) | ((long)bytes[1] << 32) | ((long)bytes[2] << 24) | ((long)bytes[3] << 16) | ((long)bytes[4] << 8) | bytes[5];
            Assert.Equal(Received.ToUnixTimeMilliseconds(), millis);
        }
    }

    [Fact]
    public void Only_weir_s_own_tracker_may_send_events_without_a_user_or_anonymous_id()
    {
        var body = J("{'batch':[{'type':'page','context':{'page':{'url':'https://shop.example/a'}}},{'type':'track','event':'Signup'}]}");

        var (segment, segmentSink) = Run(SegmentCall.Batch, body);
        Assert.Equal(0, segment.Accepted);
        Assert.Equal(["batch[0].userId", "batch[1].userId"], segment.Errors.Select(e => e.Field));
        Assert.Empty(segmentSink.Events);

        var (tracker, trackerSink) = Run(SegmentCall.Batch, body, Context() with { Protocol = EventProtocol.Tracker });
        Assert.Equal(2, tracker.Accepted);
        Assert.Empty(tracker.Errors);
        Assert.All(trackerSink.Events, e => Assert.Null(e.AnonymousId));
        Assert.All(trackerSink.Events, e => Assert.Equal(EventProtocol.Tracker, e.Protocol));
        Assert.Equal("/a", trackerSink.Events[0].Path);
    }

    [Fact]
    public void A_write_key_is_read_from_basic_auth_as_the_user_name()
    {
        var header = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("wk_live_123:"));
        Assert.True(WriteKeys.TryParseBasic(header, out var key));
        Assert.Equal("wk_live_123", key);
        Assert.True(WriteKeys.TryParseBasic("basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("nokeycolon")), out key));
        Assert.Equal("nokeycolon", key);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer abc")]
    [InlineData("Basic")]
    [InlineData("Basic !!!notbase64")]
    [InlineData("Basic Og==")]
    [InlineData("Basicd2s6")]
    public void Other_authorization_headers_give_no_write_key(string? header)
    {
        Assert.False(WriteKeys.TryParseBasic(header, out var key));
        Assert.Null(key);
    }

    [Fact]
    public void Calls_name_from_paths_include_the_short_forms_of_analytics_js()
    {
        Assert.True(SegmentCalls.TryParse("t", out var call));
        Assert.Equal(SegmentCall.Track, call);
        Assert.True(SegmentCalls.TryParse("batch", out call));
        Assert.Equal(SegmentCall.Batch, call);
        Assert.True(SegmentCalls.TryParse("import", out call));
        Assert.Equal(SegmentCall.Batch, call);
        Assert.False(SegmentCalls.TryParse("Track", out _));
        Assert.False(SegmentCalls.TryParse("events", out _));
    }
}
