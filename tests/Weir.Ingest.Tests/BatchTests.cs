using Weir.Core.Events;
using Weir.Ingest.Segment;
using static Weir.Ingest.Tests.Ingest;

namespace Weir.Ingest.Tests;

public class BatchTests
{
    [Fact]
    public void A_batch_with_invalid_events_reports_their_indexes_and_accepts_the_rest()
    {
        var (result, sink) = Run(SegmentCall.Batch, J("""
            {'batch':[
              {'type':'track','userId':'u0','event':'ok-0'},
              {'type':'track','userId':'u1'},
              {'type':'page','anonymousId':'a2'},
              {'type':'identify'},
              'not an event',
              {'type':'bogus','userId':'u5'},
              {'type':'group','userId':'u6'},
              {'type':'alias','userId':'u7'},
              {'type':'track','userId':{'id':1},'event':'x'},
              {'type':'screen','userId':'u9','timestamp':'yesterday'},
              {'userId':'u10','event':'no type'},
              {'type':'track','anonymousId':'a11','event':'ok-11'}
            ]}
            """));
        Assert.Null(result.BodyError);
        Assert.Equal(3, result.Accepted);
        Assert.Equal(200, result.StatusCode);
        var expected = new (int Index, IngestErrorKind Kind, string Field)[]
        {
            (1, IngestErrorKind.MissingField, "batch[1].event"),
            (3, IngestErrorKind.MissingField, "batch[3].userId"),
            (4, IngestErrorKind.InvalidField, "batch[4]"),
            (5, IngestErrorKind.InvalidField, "batch[5].type"),
            (6, IngestErrorKind.MissingField, "batch[6].groupId"),
            (7, IngestErrorKind.MissingField, "batch[7].previousId"),
            (8, IngestErrorKind.InvalidField, "batch[8].userId"),
            (9, IngestErrorKind.InvalidField, "batch[9].timestamp"),
            (10, IngestErrorKind.MissingField, "batch[10].type"),
        };
        Assert.Equal(expected, result.Errors.Select(e => (e.Index, e.Kind, e.Field!)).ToArray());
        Assert.Equal(["ok-0", "pageview", "ok-11"], sink.Events.Select(e => e.Event));
    }

    [Fact]
    public void A_batch_where_every_event_is_invalid_answers_400()
    {
        var (result, sink) = Run(SegmentCall.Batch, J("{'batch':[{'type':'track','event':'x'}]}"));
        Assert.Equal(0, result.Accepted);
        Assert.Empty(sink.Records);
        Assert.Equal(400, result.StatusCode);
        Assert.False(result.IsSuccess);
    }

    [Fact]
    public void An_empty_batch_is_a_success_with_nothing_accepted()
    {
        var (result, _) = Run(SegmentCall.Batch, J("{'batch':[]}"));
        Assert.True(result.IsSuccess);
        Assert.Equal(200, result.StatusCode);
        Assert.Equal(0, result.Accepted);
    }

    [Fact]
    public void A_batch_without_a_batch_array_is_rejected_whole()
    {
        var (result, _) = Run(SegmentCall.Batch, J("{'sentAt':'2024-05-01T12:00:00Z'}"));
        Assert.Equal(IngestErrorKind.MissingField, result.BodyError!.Kind);
        Assert.Equal("batch", result.BodyError.Field);
    }

    [Fact]
    public void The_batch_context_fills_in_what_each_event_context_lacks()
    {
        var (_, sink) = Run(SegmentCall.Batch, J("""
            {'context':{'library':{'name':'analytics-python','version':'2.3.0'},'ip':'198.51.100.7','locale':'de-DE'},
             'batch':[{'type':'track','userId':'u','event':'a','context':{'locale':'fr-FR','app':{'name':'x'}}},
                      {'type':'track','userId':'u','event':'b'}]}
            """));
        var events = sink.Events;
        Assert.Equal("fr-FR", events[0].Locale);
        Assert.Equal("analytics-python/2.3.0", events[0].Library);
        Assert.Equal("198.51.100.7", events[0].Ip);
        Assert.Equal("""{"locale":"fr-FR","app":{"name":"x"},"library":{"name":"analytics-python","version":"2.3.0"}}""", events[0].Context);
        Assert.Equal("de-DE", events[1].Locale);
        Assert.Equal("""{"library":{"name":"analytics-python","version":"2.3.0"},"locale":"de-DE"}""", events[1].Context);
    }

    [Fact]
    public void The_write_key_comes_from_the_envelope_or_else_the_first_event()
    {
        Assert.Equal("env", Run(SegmentCall.Batch, J("{'batch':[{'type':'track','userId':'u','event':'a','writeKey':'item'}],'writeKey':'env'}")).Result.WriteKey);
        Assert.Equal("item", Run(SegmentCall.Batch, J("{'batch':[{'type':'track','userId':'u','event':'a','writeKey':'item'}]}")).Result.WriteKey);
        Assert.True(SegmentIngest.TryFindWriteKey("{\"batch\":[{\"writeKey\":\"item\",\"x\":[1,{\"a\":2}]}],\"y\":1}"u8, out var key));
        Assert.Equal("item", key);
        Assert.True(SegmentIngest.TryFindWriteKey("{\"batch\":[{}],\"writeKey\":\"env\"}"u8, out key));
        Assert.Equal("env", key);
        Assert.False(SegmentIngest.TryFindWriteKey("{\"batch\":[]}"u8, out _));
        Assert.False(SegmentIngest.TryFindWriteKey("{\"batch\":["u8, out _));
    }

    [Fact]
    public void An_oversized_event_inside_a_batch_is_rejected_alone()
    {
        var big = new string('x', 20_000);
        var json = J($"{{'batch':[{{'type':'track','userId':'u','event':'a','properties':{{'a':'{big}','b':'{big}'}}}},{{'type':'track','userId':'u','event':'small'}}]}}");
        var options = new IngestOptions { MaxStringLength = 30_000 };
        var sink = new CollectingSink();
        var result = new SegmentIngest(options).Parse(SegmentCall.Batch, System.Text.Encoding.UTF8.GetBytes(json), Context(), sink);
        var error = Assert.Single(result.Errors);
        Assert.Equal((0, IngestErrorKind.EventTooLarge, "batch[0]"), (error.Index, error.Kind, error.Field));
        Assert.Equal(413, error.StatusCode);
        Assert.Equal("small", Assert.Single(sink.Events).Event);
    }

    [Fact]
    public void A_sink_that_refuses_stops_the_batch_with_503()
    {
        var sink = new CollectingSink { RefuseAfter = 1 };
        var json = J("{'batch':[{'type':'track','userId':'u','event':'a'},{'type':'track','userId':'u','event':'b'}]}");
        var result = Ingest.Segment.Parse(SegmentCall.Batch, System.Text.Encoding.UTF8.GetBytes(json), Context(), sink);
        Assert.Equal(1, result.Accepted);
        Assert.Equal(IngestErrorKind.Unavailable, result.BodyError!.Kind);
        Assert.Equal(503, result.StatusCode);
    }

    [Fact]
    public void The_response_lists_rejected_events_by_index()
    {
        var (result, _) = Run(SegmentCall.Batch, J("{'batch':[{'type':'track','userId':'u','event':'a'},{'type':'track','event':'b'}]}"));
        var body = System.Text.Encoding.UTF8.GetString(IngestResponse.ToUtf8(result));
        Assert.Equal(
            """{"success":true,"accepted":1,"rejected":1,"errors":[{"index":1,"field":"batch[1].userId","code":"missing_field","message":"batch[1].userId: or anonymousId is required."}]}""",
            body);
    }

    [Fact]
    public void A_failed_single_call_answers_with_an_error_naming_the_field()
    {
        var (result, _) = Run(SegmentCall.Track, J("{'userId':'u'}"));
        Assert.Equal(400, result.StatusCode);
        var body = System.Text.Encoding.UTF8.GetString(IngestResponse.ToUtf8(result));
        Assert.StartsWith("""{"success":false,"error":"event: is required for track""", body, StringComparison.Ordinal);
        Assert.Contains("\"field\":\"event\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public void Records_carry_the_type_of_each_batch_item()
    {
        var (_, sink) = Run(SegmentCall.Batch, J("{'batch':[{'type':'screen','userId':'u','name':'S'},{'type':'group','userId':'u','groupId':'g'},{'type':'alias','userId':'u','previousId':'p'}]}"));
        Assert.Equal([EventType.Screen, EventType.Group, EventType.Alias], sink.Events.Select(e => e.Type));
    }
}
