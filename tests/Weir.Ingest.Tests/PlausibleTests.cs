using System.Text;
using Weir.Core.Events;
using Weir.Ingest.Plausible;
using static Weir.Ingest.Tests.Ingest;

namespace Weir.Ingest.Tests;

public class PlausibleTests
{
    private static readonly PlausibleIngest Plausible = new();

    /// <summary>Knows shop.example (site-1) and blog.example (site-2), both also as www.</summary>
    private sealed class Sites : IDomainResolver
    {
        public string? Resolve(scoped ReadOnlySpan<char> domain, out IngestError? refusal)
        {
            refusal = null;
            var name = domain.ToString().ToLowerInvariant();
            name = name.StartsWith("www.", StringComparison.Ordinal) ? name[4..] : name;
            return name switch
            {
                "shop.example" => "site-1",
                "blog.example" => "site-2",
                _ => null,
            };
        }
    }

    private static (IngestResult Result, CollectingSink Sink) Run(string json)
    {
        var sink = new CollectingSink();
        return (Plausible.Parse(Encoding.UTF8.GetBytes(json), Context(), new Sites(), sink), sink);
    }

    [Fact]
    public void A_pageview_with_short_names_is_a_page_event()
    {
        var (result, sink) = Run(J("{'n':'pageview','u':'https://shop.example/a?x=1','d':'shop.example','r':'https://search.example/','v':36}"));
        Assert.Equal(1, result.Accepted);
        var e = Assert.Single(sink.Events);
        Assert.Equal(EventType.Page, e.Type);
        Assert.Equal("pageview", e.Event);
        Assert.Equal(EventProtocol.Plausible, e.Protocol);
        Assert.Equal("site-1", e.SiteId);
        Assert.Equal("https://shop.example/a?x=1", e.Url);
        Assert.Equal("/a", e.Path);
        Assert.Equal("x=1", e.Query);
        Assert.Equal("https://search.example/", e.Referrer);
        Assert.Equal("plausible/36", e.Library);
        Assert.Equal("HeaderAgent/1.0", e.UserAgent);
        Assert.Equal("203.0.113.9", e.Ip);
        Assert.Equal(Received, e.Timestamp);
        Assert.Null(e.AnonymousId);
        Assert.Null(e.Properties);
    }

    [Fact]
    public void A_custom_event_with_long_names_keeps_typed_props_and_revenue()
    {
        var (_, sink) = Run(J("""
            {'name':'Purchase','url':'https://shop.example/checkout','domain':'shop.example','referrer':null,
             'props':{'plan':'pro','seats':3,'trial':false,'note':null,'revenue':'from props'},
             'revenue':{'amount':'29.50','currency':'eur'},'interactive':false}
            """));
        var e = Assert.Single(sink.Events);
        Assert.Equal(EventType.Track, e.Type);
        Assert.Equal("Purchase", e.Event);
        Assert.Equal("plausible", e.Library);
        // Null values are dropped as Plausible drops them; the revenue object wins over a prop of the same name.
        Assert.Equal("""{"plan":"pro","seats":3,"trial":false,"revenue":29.50,"currency":"EUR"}""", e.Properties);
        Assert.Equal("""{"interactive":false}""", e.Context);
    }

    [Fact]
    public void Several_domains_give_one_event_per_known_site_and_report_the_unknown()
    {
        var (result, sink) = Run(J("{'n':'pageview','u':'https://shop.example/','d':'shop.example, www.blog.example,nowhere.example,SHOP.example'}"));
        Assert.Equal(2, result.Accepted);
        Assert.Equal(["site-1", "site-2"], sink.Events.Select(e => e.SiteId));
        Assert.NotEqual(sink.Events[0].MessageId, sink.Events[1].MessageId);
        var error = Assert.Single(result.Errors);
        Assert.Equal(IngestErrorKind.UnknownDomain, error.Kind);
        Assert.Equal("domain", error.Field);
        Assert.Contains("nowhere.example", error.Message, StringComparison.Ordinal);
        Assert.Equal(200, result.StatusCode);
    }

    [Fact]
    public void An_unknown_domain_alone_is_a_clear_400()
    {
        var (result, sink) = Run(J("{'n':'pageview','u':'https://x.example/','d':'x.example'}"));
        Assert.Empty(sink.Records);
        Assert.Equal(400, result.StatusCode);
        Assert.Equal("unknown_domain", Assert.Single(result.Errors).Code);
    }

    [Fact]
    public void Hash_based_routing_keeps_the_fragment_in_the_path()
    {
        var (_, sink) = Run(J("{'n':'pageview','u':'https://shop.example/app?x=1#/settings','d':'shop.example','h':1}"));
        var e = Assert.Single(sink.Events);
        Assert.Equal("/app#/settings", e.Path);
        Assert.Equal("""{"hash_routing":true}""", e.Context);
    }

    [Fact]
    public void More_than_thirty_props_are_refused()
    {
        var props = string.Join(',', Enumerable.Range(0, 31).Select(i => $"\"k{i}\":\"v\""));
        var (result, sink) = Run("{\"n\":\"e\",\"u\":\"https://shop.example/\",\"d\":\"shop.example\",\"p\":{" + props + "}}");
        Assert.Empty(sink.Records);
        Assert.Equal(IngestErrorKind.TooManyKeys, result.BodyError!.Kind);
        Assert.Equal("p", result.BodyError.Field);
    }

    [Theory]
    [InlineData("{'u':'https://shop.example/','d':'shop.example'}", "name")]
    [InlineData("{'n':'e','d':'shop.example'}", "url")]
    [InlineData("{'n':'e','u':'https://shop.example/'}", "domain")]
    [InlineData("{'n':'e','u':'https://shop.example/','d':' , '}", "d")]
    [InlineData("{'n':5,'u':'https://shop.example/','d':'shop.example'}", "n")]
    [InlineData("{'n':'e','u':'https://shop.example/','d':'shop.example','p':[1]}", "p")]
    [InlineData("{'n':'e','u':'https://shop.example/','d':'shop.example','props':{'a':{'b':1}}}", "props.a")]
    [InlineData("{'n':'e','u':'https://shop.example/','d':'shop.example','$':{'amount':'lots','currency':'EUR'}}", "$.amount")]
    [InlineData("{'n':'e','u':'https://shop.example/','d':'shop.example','revenue':{'amount':1}}", "revenue.currency")]
    [InlineData("{'n':'e','u':'https://shop.example/','d':'shop.example','i':'no'}", "i")]
    public void A_bad_field_is_named(string json, string field)
    {
        var (result, sink) = Run(J(json));
        Assert.Empty(sink.Records);
        Assert.Equal(400, result.StatusCode);
        Assert.Equal(field, result.BodyError!.Field);
    }

    [Theory]
    [InlineData("{'n':'pageview'")]
    [InlineData("[1,2]")]
    [InlineData("{'n':'pageview','u':'https://shop.example/','d':'shop.example'} trailing")]
    public void Not_a_json_object_is_invalid_json(string json)
    {
        var (result, sink) = Run(J(json));
        Assert.Empty(sink.Records);
        Assert.Equal(IngestErrorKind.InvalidJson, result.BodyError!.Kind);
    }
}
