using Weir.Core.Events;
using Weir.Ingest.Segment;
using static Weir.Ingest.Tests.Ingest;

namespace Weir.Ingest.Tests;

/// <summary>Each call type, from bodies shaped like the examples in Segment's spec, maps to the canonical fields.</summary>
public class SegmentMappingTests
{
    [Fact]
    public void A_track_call_keeps_its_ids_event_properties_and_context()
    {
        var e = Single(SegmentCall.Track, J("""
            {'anonymousId':'507f191e810c19729de860ea','userId':'97980cfea0067','event':'Item Purchased',
             'messageId':'ajs-next-1','properties':{'name':'Leap to Conclusions Mat','revenue':14.99},
             'context':{'ip':'24.5.68.47','locale':'nl-NL','userAgent':'Mozilla/5.0 (Mac)',
                        'library':{'name':'analytics.js','version':'2.11.1'},
                        'page':{'url':'https://Shop.Example:8443/cart?step=2#pay','referrer':'https://google.com/','title':'Cart'},
                        'screen':{'width':1440,'height':900,'density':2}},
             'integrations':{'All':true,'Mixpanel':false},'timestamp':'2024-05-01T11:59:00.000Z'}
            """));
        Assert.Equal(EventType.Track, e.Type);
        Assert.Equal(EventProtocol.Segment, e.Protocol);
        Assert.Equal("Item Purchased", e.Event);
        Assert.Equal("97980cfea0067", e.UserId);
        Assert.Equal("507f191e810c19729de860ea", e.AnonymousId);
        Assert.Equal("ajs-next-1", e.MessageId);
        Assert.Equal("site-1", e.SiteId);
        Assert.Equal("""{"name":"Leap to Conclusions Mat","revenue":14.99}""", e.Properties);
        Assert.Equal("https://Shop.Example:8443/cart?step=2#pay", e.Url);
        Assert.Equal("shop.example", e.Host);
        Assert.Equal("/cart", e.Path);
        Assert.Equal("step=2", e.Query);
        Assert.Equal("Cart", e.Title);
        Assert.Equal("https://google.com/", e.Referrer);
        Assert.Equal("nl-NL", e.Locale);
        Assert.Equal("Mozilla/5.0 (Mac)", e.UserAgent);
        Assert.Equal("24.5.68.47", e.Ip);
        Assert.Equal("analytics.js/2.11.1", e.Library);
        Assert.Equal(1440, e.ScreenWidth);
        Assert.Equal(900, e.ScreenHeight);
        Assert.Null(e.Name);
        Assert.Null(e.Traits);
        Assert.DoesNotContain("24.5.68.47", e.Context, StringComparison.Ordinal);
        Assert.Contains("\"locale\":\"nl-NL\"", e.Context, StringComparison.Ordinal);
    }

    [Fact]
    public void A_page_call_is_a_pageview_whose_properties_describe_the_page()
    {
        var e = Single(SegmentCall.Page, J("""
            {'userId':'u1','name':'Home','properties':{'title':'Welcome','url':'https://example.com/?q=1',
             'path':'/','search':'?q=1','referrer':'https://news.example/'},
             'context':{'page':{'url':'https://other.example/x','title':'ignored'}}}
            """));
        Assert.Equal(EventType.Page, e.Type);
        Assert.Equal("pageview", e.Event);
        Assert.Equal("Home", e.Name);
        Assert.Equal("Welcome", e.Title);
        Assert.Equal("https://example.com/?q=1", e.Url);
        Assert.Equal("example.com", e.Host);
        Assert.Equal("/", e.Path);
        Assert.Equal("q=1", e.Query);
        Assert.Equal("https://news.example/", e.Referrer);
    }

    [Fact]
    public void A_page_call_without_page_properties_takes_them_from_context_page()
    {
        var e = Single(SegmentCall.Page, J("{'anonymousId':'a1','context':{'page':{'url':'https://example.com/docs/a?x=y','title':'Docs'}}}"));
        Assert.Equal("https://example.com/docs/a?x=y", e.Url);
        Assert.Equal("/docs/a", e.Path);
        Assert.Equal("x=y", e.Query);
        Assert.Equal("Docs", e.Title);
        Assert.Null(e.Name);
    }

    [Fact]
    public void A_screen_call_is_a_screenview_with_the_screen_name()
    {
        var e = Single(SegmentCall.Screen, J("{'userId':'u1','name':'Home','properties':{'Feed Type':'private'}}"));
        Assert.Equal(EventType.Screen, e.Type);
        Assert.Equal("screenview", e.Event);
        Assert.Equal("Home", e.Name);
        Assert.Equal("""{"Feed Type":"private"}""", e.Properties);
    }

    [Fact]
    public void An_identify_call_keeps_its_traits()
    {
        var e = Single(SegmentCall.Identify, J("{'userId':'97980cfea0067','traits':{'name':'Peter Gibbons','email':'peter@example.com','plan':'premium','logins':5}}"));
        Assert.Equal(EventType.Identify, e.Type);
        Assert.Equal("identify", e.Event);
        Assert.Equal("""{"name":"Peter Gibbons","email":"peter@example.com","plan":"premium","logins":5}""", e.Traits);
        Assert.Null(e.Properties);
    }

    [Fact]
    public void A_group_call_keeps_the_group_id_and_traits()
    {
        var e = Single(SegmentCall.Group, J("{'userId':'u1','groupId':'0e8c78ea9d97a7b8185e8632','traits':{'name':'Initech','employees':329}}"));
        Assert.Equal(EventType.Group, e.Type);
        Assert.Equal("group", e.Event);
        Assert.Equal("0e8c78ea9d97a7b8185e8632", e.GroupId);
        Assert.Equal("""{"name":"Initech","employees":329}""", e.Traits);
    }

    [Fact]
    public void An_alias_call_keeps_the_previous_id()
    {
        var e = Single(SegmentCall.Alias, J("{'previousId':'39239-239239-239239-23923','userId':'507f191e81'}"));
        Assert.Equal(EventType.Alias, e.Type);
        Assert.Equal("alias", e.Event);
        Assert.Equal("39239-239239-239239-23923", e.PreviousId);
        Assert.Equal("507f191e81", e.UserId);
    }

    [Fact]
    public void The_path_decides_the_type_even_when_the_body_names_another()
    {
        var e = Single(SegmentCall.Track, J("{'type':'identify','userId':'u1','event':'Clicked'}"));
        Assert.Equal(EventType.Track, e.Type);
    }

    [Fact]
    public void Numeric_ids_are_accepted_and_stored_as_text()
    {
        var e = Single(SegmentCall.Identify, J("{'userId':12345,'anonymousId':null}"));
        Assert.Equal("12345", e.UserId);
        Assert.Null(e.AnonymousId);
    }

    [Fact]
    public void Escaped_strings_are_unescaped_and_non_ascii_text_stays_utf8()
    {
        var (_, sink) = Run(SegmentCall.Track, """{"userId":"\u00fcser \"q\"","event":"Caf\u00e9 \ud83d\ude00","properties":{"k":"\u00e9"}}""");
        var e = Assert.Single(sink.Events);
        Assert.Equal("üser \"q\"", e.UserId);
        Assert.Equal("Café 😀", e.Event);
        var text = System.Text.Encoding.UTF8.GetString(sink.Records[0]);
        Assert.Contains("\"event\":\"Café", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_server_user_agent_and_ip_fill_in_when_the_context_has_none()
    {
        var e = Single(SegmentCall.Track, J("{'userId':'u1','event':'x'}"));
        Assert.Equal("HeaderAgent/1.0", e.UserAgent);
        Assert.Equal("203.0.113.9", e.Ip);
        Assert.Null(e.Context);
    }

    [Fact]
    public void Unknown_fields_and_integrations_are_allowed_and_dropped()
    {
        var e = Single(SegmentCall.Track, J("{'userId':'u1','event':'x','integrations':{'All':false},'_metadata':{'nodeVersion':'20'},'version':2,'channel':'server'}"));
        Assert.Equal("x", e.Event);
    }

    [Fact]
    public void A_single_call_body_may_carry_its_write_key()
    {
        var (result, _) = Run(SegmentCall.Page, J("{'writeKey':'wk_123','anonymousId':'a'}"));
        Assert.Equal("wk_123", result.WriteKey);
        Assert.Equal(200, result.StatusCode);
    }

    [Fact]
    public void An_analytics_node_batch_is_accepted_unchanged()
    {
        var (result, sink) = Run(SegmentCall.Batch, J("""
            {'batch':[
              {'userId':'user-1','event':'Order Completed','properties':{'total':20},'type':'track',
               'messageId':'node-next-1714564800000-8b1b4f2e-1c1f-4a5b-9c2a-2f6d1e2b3c4d','timestamp':'2024-05-01T11:59:58.123Z',
               'context':{'library':{'name':'@segment/analytics-node','version':'2.1.2'}},
               '_metadata':{'nodeVersion':'20.11.0','jsRuntime':'node'},'integrations':{}},
              {'userId':'user-1','traits':{'plan':'pro'},'type':'identify',
               'messageId':'node-next-1714564800001-aa','timestamp':'2024-05-01T11:59:59.000Z',
               'context':{'library':{'name':'@segment/analytics-node','version':'2.1.2'}},'_metadata':{'jsRuntime':'node'},'integrations':{}}
            ],'sentAt':'2024-05-01T12:00:00.000Z'}
            """));
        Assert.Equal(2, result.Accepted);
        Assert.Empty(result.Errors);
        var events = sink.Events;
        Assert.Equal("@segment/analytics-node/2.1.2", events[0].Library);
        Assert.Equal("node-next-1714564800000-8b1b4f2e-1c1f-4a5b-9c2a-2f6d1e2b3c4d", events[0].MessageId);
        Assert.Equal(EventType.Identify, events[1].Type);
    }
}
