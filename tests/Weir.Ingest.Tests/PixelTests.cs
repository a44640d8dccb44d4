using Weir.Core.Events;
using Weir.Ingest.Pixel;
using static Weir.Ingest.Tests.Ingest;

namespace Weir.Ingest.Tests;

public class PixelTests
{
    private static readonly PixelIngest Pixel = new();

    private static (PixelResult Result, CollectingSink Sink) Run(string query)
    {
        var sink = new CollectingSink();
        return (Pixel.Parse(query, Context(), sink), sink);
    }

    [Fact]
    public void A_pixel_without_an_event_is_a_pageview()
    {
        var (result, sink) = Run("?k=wk_1&u=https%3A%2F%2FShop.example%2Fa%2Fb%3Fx%3D1&r=https%3A%2F%2Fsearch.example%2F");
        Assert.True(result.Accepted);
        Assert.Equal("wk_1", result.WriteKey);
        var e = Assert.Single(sink.Events);
        Assert.Equal(EventType.Page, e.Type);
        Assert.Equal("pageview", e.Event);
        Assert.Equal(EventProtocol.Pixel, e.Protocol);
        Assert.Equal("https://Shop.example/a/b?x=1", e.Url);
        Assert.Equal("shop.example", e.Host);
        Assert.Equal("/a/b", e.Path);
        Assert.Equal("x=1", e.Query);
        Assert.Equal("https://search.example/", e.Referrer);
        Assert.Null(e.AnonymousId);
        Assert.Null(e.UserId);
        Assert.Null(e.Properties);
        Assert.Equal(Received, e.Timestamp);
        Assert.Equal("HeaderAgent/1.0", e.UserAgent);
        Assert.Equal(7, Guid.Parse(e.MessageId).Version);
    }

    [Fact]
    public void A_pixel_with_an_event_is_a_track_with_string_properties()
    {
        var (_, sink) = Run("k=wk_1&e=Signup+Clicked&p.plan=pro&p.seats=3&p.note=caf%C3%A9%20%26%20more&cb=12345");
        var e = Assert.Single(sink.Events);
        Assert.Equal(EventType.Track, e.Type);
        Assert.Equal("Signup Clicked", e.Event);
        Assert.Equal("""{"plan":"pro","seats":"3","note":"café & more"}""", e.Properties);
    }

    [Fact]
    public void Event_pageview_is_a_page_view()
    {
        var (_, sink) = Run("k=wk&e=pageview&u=/docs");
        var e = Assert.Single(sink.Events);
        Assert.Equal(EventType.Page, e.Type);
        Assert.Equal("/docs", e.Path);
        Assert.Null(e.Host);
    }

    [Fact]
    public void The_first_of_repeated_parameters_wins()
    {
        var (_, sink) = Run("k=wk&e=first&e=second&p.a=1&p.a=2");
        var e = Assert.Single(sink.Events);
        Assert.Equal("first", e.Event);
        Assert.Equal("""{"a":"1"}""", e.Properties);
    }

    [Fact]
    public void A_pixel_without_a_key_is_an_error_value()
    {
        var (result, sink) = Run("e=x&u=https%3A%2F%2Fa.example%2F");
        Assert.False(result.Accepted);
        Assert.Equal((IngestErrorKind.MissingField, "k"), (result.Error!.Kind, result.Error.Field));
        Assert.Empty(sink.Records);
    }

    [Theory]
    [InlineData("k=wk&p.bad=%FF%FE", IngestErrorKind.InvalidField, "p.bad")]
    [InlineData("k=wk&u=%C0%AF", IngestErrorKind.InvalidField, "u")]
    [InlineData("k=wk&e=" + "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", IngestErrorKind.StringTooLong, "e")]
    public void Bad_parameters_are_error_values_naming_the_parameter(string query, IngestErrorKind kind, string field)
    {
        var (result, sink) = Run(query);
        Assert.False(result.Accepted);
        Assert.Equal((kind, field), (result.Error!.Kind, result.Error.Field));
        Assert.Empty(sink.Records);
    }

    [Fact]
    public void Too_many_pixel_properties_are_refused()
    {
        var query = "k=wk&" + string.Join('&', Enumerable.Range(0, 300).Select(i => $"p.k{i}=v"));
        var (result, _) = Run(query);
        Assert.Equal(IngestErrorKind.TooManyKeys, result.Error!.Kind);
    }

    [Fact]
    public void An_oversized_query_is_refused()
    {
        var (result, _) = Run("k=wk&p.a=" + new string('a', 40_000));
        Assert.Equal(IngestErrorKind.EventTooLarge, result.Error!.Kind);
    }

    [Fact]
    public void Malformed_percent_escapes_are_kept_literally()
    {
        var (_, sink) = Run("k=wk&e=50%25%2&p.x=%zz");
        var e = Assert.Single(sink.Events);
        Assert.Equal("50%%2", e.Event);
        Assert.Equal("""{"x":"%zz"}""", e.Properties);
    }

    [Fact]
    public void The_write_key_can_be_read_before_parsing()
    {
        Assert.True(PixelIngest.TryFindWriteKey("?e=x&k=wk%2B1", out var key));
        Assert.Equal("wk+1", key);
        Assert.False(PixelIngest.TryFindWriteKey("e=x", out _));
    }

    [Fact]
    public void A_pixel_carries_the_site_from_the_context()
    {
        var (_, sink) = Run("k=wk");
        Assert.Equal("site-1", Assert.Single(sink.Events).SiteId);
    }
}
