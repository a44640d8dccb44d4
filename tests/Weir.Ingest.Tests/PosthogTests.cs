using System.IO.Compression;
using System.Text;
using Weir.Core.Events;
using Weir.Ingest.Body;
using Weir.Ingest.Posthog;
using static Weir.Ingest.Tests.Ingest;

namespace Weir.Ingest.Tests;

public class PosthogTests
{
    private static readonly PosthogIngest Posthog = new();

    private static (IngestResult Result, CollectingSink Sink) Run(string json)
    {
        var sink = new CollectingSink();
        return (Posthog.Parse(Encoding.UTF8.GetBytes(json), Context(), sink), sink);
    }

    [Fact]
    public void A_batch_from_posthog_node_maps_each_event_kind()
    {
        var (result, sink) = Run(J("""
            {'api_key':'phc_1','batch':[
              {'distinct_id':'user-1','event':'Order Completed','properties':{'orderId':'o-1','$lib':'posthog-node','$lib_version':'5.74.0'},
               'timestamp':'2024-05-01T11:59:00.000Z','uuid':'u-1'},
              {'distinct_id':'user-1','event':'$identify','properties':{'$set':{'email':'a@b.example'},'$set_once':{},'$lib':'posthog-node'},'uuid':'u-2'},
              {'distinct_id':'user-1','event':'$create_alias','properties':{'distinct_id':'user-1','alias':'anon-1'},'uuid':'u-3'},
              {'distinct_id':'$company_acme','event':'$groupidentify','properties':{'$group_type':'company','$group_key':'acme','$group_set':{'name':'Acme'}},'uuid':'u-4'},
              {'distinct_id':'user-1','event':'$screen','properties':{'$screen_name':'Home'},'uuid':'u-5'}
            ],'sent_at':'2024-05-01T11:59:30.000Z'}
            """));
        Assert.Null(result.BodyError);
        Assert.Empty(result.Errors);
        var events = sink.Events;
        Assert.Equal(5, events.Count);
        Assert.All(events, e => Assert.Equal(EventProtocol.Posthog, e.Protocol));

        var track = events[0];
        Assert.Equal(EventType.Track, track.Type);
        Assert.Equal("Order Completed", track.Event);
        Assert.Equal("u-1", track.MessageId);
        Assert.Equal("user-1", track.UserId);
        Assert.Equal("posthog-node/5.74.0", track.Library);
        // Received 12:00:00, sent 30 s after the event by the client's clock: the event happened 30 s ago.
        Assert.Equal(Received.AddSeconds(-30), track.Timestamp);

        Assert.Equal(EventType.Identify, events[1].Type);
        Assert.Equal("""{"email":"a@b.example"}""", events[1].Traits);
        Assert.Equal(EventType.Alias, events[2].Type);
        Assert.Equal("user-1", events[2].UserId);
        Assert.Equal("anon-1", events[2].PreviousId);
        Assert.Equal(EventType.Group, events[3].Type);
        Assert.Equal("acme", events[3].GroupId);
        Assert.Equal("""{"name":"Acme"}""", events[3].Traits);
        Assert.Equal(EventType.Screen, events[4].Type);
        Assert.Equal("Home", events[4].Name);
        Assert.Equal("posthog", events[4].Library);
    }

    [Fact]
    public void A_pageview_from_posthog_js_fills_the_page_columns_and_keeps_the_visitor_anonymous()
    {
        var (result, sink) = Run(J("""
            [{'event':'$pageview','distinct_id':'dev-1','uuid':'p-1','timestamp':'2024-05-01T11:59:59.000Z',
              'properties':{'token':'phc_1','$current_url':'https://shop.example/a?x=1','$pathname':'/a','$referrer':'$direct',
              'title':'A','$screen_width':1280,'$screen_height':720,'$browser_language':'de-DE','$device_id':'dev-1',
              '$is_identified':false,'$lib':'web','$lib_version':'1.455.2','$ip':'198.51.100.7','$elements':[{'tag':'a'}]}}]
            """));
        Assert.Equal(1, result.Accepted);
        var e = Assert.Single(sink.Events);
        Assert.Equal(EventType.Page, e.Type);
        Assert.Equal("pageview", e.Event);
        Assert.Equal("https://shop.example/a?x=1", e.Url);
        Assert.Equal("/a", e.Path);
        Assert.Null(e.Referrer);
        Assert.Equal("A", e.Title);
        Assert.Equal(1280, e.ScreenWidth);
        Assert.Equal(720, e.ScreenHeight);
        Assert.Equal("de-DE", e.Locale);
        Assert.Equal("dev-1", e.AnonymousId);
        Assert.Null(e.UserId);
        Assert.Equal("web/1.455.2", e.Library);
        // $ip is the client's address: it moves to the ip field and out of the properties, like Segment's context.ip.
        Assert.Equal("198.51.100.7", e.Ip);
        Assert.DoesNotContain("198.51.100.7", e.Properties, StringComparison.Ordinal);
        Assert.Contains("\"$elements\":[{\"tag\":\"a\"}]", e.Properties, StringComparison.Ordinal);
    }

    [Fact]
    public void An_identified_browser_event_has_the_user_and_the_device()
    {
        var (_, sink) = Run(J("{'api_key':'k','event':'Clicked','distinct_id':'user-9','properties':{'$device_id':'dev-1','$is_identified':true}}"));
        var e = Assert.Single(sink.Events);
        Assert.Equal("user-9", e.UserId);
        Assert.Equal("dev-1", e.AnonymousId);
        Assert.Equal(EventType.Track, e.Type);
        Assert.Equal(Received, e.Timestamp);
    }

    [Fact]
    public void Internal_events_are_kept_as_tracks_with_their_names()
    {
        var (result, sink) = Run(J("{'api_key':'k','batch':[{'event':'$pageleave','distinct_id':'d'},{'event':'$feature_flag_called','distinct_id':'d'}]}"));
        Assert.Equal(2, result.Accepted);
        Assert.Equal(["$pageleave", "$feature_flag_called"], sink.Events.Select(e => e.Event));
        Assert.All(sink.Events, e => Assert.Equal(EventType.Track, e.Type));
    }

    [Fact]
    public void A_bad_event_in_a_batch_is_reported_by_index_and_the_others_kept()
    {
        var (result, sink) = Run(J("{'api_key':'k','batch':[{'event':'ok','distinct_id':'d'},{'event':'no id'},{'distinct_id':'d'},{'event':'$create_alias','distinct_id':'d'}]}"));
        Assert.Equal(1, result.Accepted);
        Assert.Single(sink.Records);
        Assert.Equal(["batch[1].distinct_id", "batch[2].event", "batch[3].properties.alias"], result.Errors.Select(e => e.Field));
        Assert.Equal(200, result.StatusCode);
    }

    [Theory]
    [InlineData("{'event':'e','distinct_id':'d','properties':[1]}", "properties")]
    [InlineData("{'event':'e','distinct_id':'d','timestamp':'yesterday'}", "timestamp")]
    [InlineData("{'event':7,'distinct_id':'d'}", "event")]
    [InlineData("{'api_key':'k','batch':{}}", "batch")]
    [InlineData("{'api_key':'k','sent_at':5,'batch':[]}", "sent_at")]
    [InlineData("{'event':'e','distinct_id':{'id':1}}", "distinct_id")]
    public void A_malformed_single_event_fails_naming_the_field(string json, string field)
    {
        var (result, sink) = Run(J(json));
        Assert.Empty(sink.Records);
        var error = result.BodyError ?? Assert.Single(result.Errors);
        Assert.Equal(field, error.Field);
        Assert.Equal(400, result.StatusCode);
    }

    [Fact]
    public void Not_json_fails_as_invalid_json()
    {
        var (result, _) = Run("{\"event\":");
        Assert.Equal(IngestErrorKind.InvalidJson, result.BodyError!.Kind);
    }

    [Theory]
    [InlineData("{'api_key':'phc_top','batch':[{'api_key':'other'}]}", "phc_top")]
    [InlineData("{'batch':[{'event':'e','properties':{'token':'phc_prop'}}]}", "phc_prop")]
    [InlineData("[{'token':'phc_item','event':'e'}]", "phc_item")]
    [InlineData("{'event':'e','properties':{'x':{'token':'nested'},'token':'phc_single'}}", "phc_single")]
    public void The_api_key_is_found_before_parsing(string json, string key)
    {
        Assert.True(PosthogIngest.TryFindApiKey(Encoding.UTF8.GetBytes(J(json)), out var found));
        Assert.Equal(key, found);
    }

    [Fact]
    public void Gzip_js_base64_and_form_bodies_decode_to_the_same_json()
    {
        const string Json = """{"api_key":"k","event":"e","distinct_id":"d"}""";
        var utf8 = Encoding.UTF8.GetBytes(Json);
        using var gzipped = new MemoryStream();
        using (var gzip = new GZipStream(gzipped, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(utf8);
        }

        var base64 = Convert.ToBase64String(utf8);
        Assert.Equal(Json, Decode(gzipped.ToArray(), isForm: false, compression: null));
        Assert.Equal(Json, Decode(gzipped.ToArray(), isForm: false, compression: "gzip-js"));
        Assert.Equal(Json, Decode(Encoding.ASCII.GetBytes(base64), isForm: false, compression: "base64"));
        Assert.Equal(Json, Decode(Encoding.ASCII.GetBytes("data=" + Uri.EscapeDataString(base64)), isForm: true, compression: "base64"));
        Assert.Equal(Json, Decode(Encoding.ASCII.GetBytes("data=" + Uri.EscapeDataString(Json)), isForm: true, compression: null));
        Assert.Equal(Json, Decode(utf8, isForm: false, compression: null));
    }

    [Theory]
    [InlineData("not base64!", false, "base64", "body")]
    [InlineData("ver=1", true, null, "data")]
    [InlineData("{}", false, "lz64", "compression")]
    public void Undecodable_bodies_name_what_is_wrong(string body, bool isForm, string? compression, string field)
    {
        var read = RequestBodyReader.Read(Encoding.ASCII.GetBytes(body), null, null, 1024);
        var decoded = PosthogBody.Decode(read.Body!, isForm, compression, 1024);
        Assert.False(decoded.IsSuccess);
        Assert.Equal(field, decoded.Error!.Field);
    }

    private static string Decode(byte[] raw, bool isForm, string? compression)
    {
        var read = RequestBodyReader.Read(raw, null, null, 4096);
        var decoded = PosthogBody.Decode(read.Body!, isForm, compression, 4096);
        Assert.True(decoded.IsSuccess, decoded.Error?.ToString());
        using var body = decoded.Body!;
        return Encoding.UTF8.GetString(body.Span);
    }
}
