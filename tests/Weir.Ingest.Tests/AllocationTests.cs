using System.Diagnostics;
using System.Text;
using Weir.Ingest.Pixel;
using Weir.Ingest.Segment;
using Xunit.Abstractions;
using static Weir.Ingest.Tests.Ingest;

namespace Weir.Ingest.Tests;

/// <summary>
/// The hot path allocates nothing per event: records are written into a reused pooled buffer and handed to the sink
/// as a span. Measured with <see cref="GC.GetAllocatedBytesForCurrentThread"/> after a warm-up; the figures are
/// printed (see docs/ingest.md).
/// </summary>
public class AllocationTests(ITestOutputHelper output)
{
    private static readonly byte[] TrackBody = Encoding.UTF8.GetBytes(J("""
        {'userId':'97980cfea0067','event':'Item Purchased','properties':{'name':'Leap to Conclusions Mat','revenue':14.99},
         'context':{'library':{'name':'analytics.js','version':'2.11.1'},'page':{'url':'https://shop.example/cart?step=2','title':'Cart'},
         'userAgent':'Mozilla/5.0 (X11; Linux x86_64)','locale':'en-US'},'timestamp':'2024-05-01T11:59:00.000Z','sentAt':'2024-05-01T11:59:01.000Z'}
        """));

    private static readonly byte[] BatchBody = Encoding.UTF8.GetBytes(
        "{\"batch\":[" + string.Join(',', Enumerable.Range(0, 100).Select(i => J($$$"""
            {'type':'track','userId':'user-{{{i}}}','event':'Item Purchased','messageId':'node-next-{{{i}}}','properties':{'sku':'s-{{{i}}}','price':{{{i}}}.5},
             'context':{'library':{'name':'@segment/analytics-node','version':'2.1.2'}},'timestamp':'2024-05-01T11:59:58.123Z','integrations':{}}
            """))) + "],\"sentAt\":\"2024-05-01T12:00:00.000Z\"}");

    [Fact]
    public void A_single_track_call_allocates_nothing()
    {
        var perCall = Measure(SegmentCall.Track, TrackBody, 20_000, out var perSecond, out var events);
        output.WriteLine($"single track ({TrackBody.Length} B): {perCall:F1} B allocated per call, {perSecond:N0} events/s on one thread");
        Assert.Equal(20_000, events);
        Assert.InRange(perCall, 0, 8);
    }

    [Fact]
    public void A_batch_of_a_hundred_allocates_nothing_per_event()
    {
        var perCall = Measure(SegmentCall.Batch, BatchBody, 500, out var perSecond, out var events);
        output.WriteLine($"batch of 100 ({BatchBody.Length} B): {perCall:F1} B allocated per batch, {perSecond:N0} events/s on one thread");
        Assert.Equal(500 * 100, events);
        Assert.InRange(perCall, 0, 8);
    }

    [Fact]
    public void A_pixel_hit_allocates_only_its_write_key()
    {
        var pixel = new PixelIngest();
        const string query = "?k=wk_live_1&e=Signup&u=https%3A%2F%2Fshop.example%2Fa%3Fx%3D1&r=https%3A%2F%2Fgoogle.com%2F&p.plan=pro";
        var sink = new CountingSink();
        var context = Context();
        pixel.Parse(query, in context, ref sink);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            pixel.Parse(query, in context, ref sink);
        }

        var perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / 10_000.0;
        output.WriteLine($"pixel: {perCall:F1} B allocated per hit (the write key string)");
        Assert.InRange(perCall, 1, 64);
    }

    private static readonly byte[] PosthogBatchBody = Encoding.UTF8.GetBytes(
        "{\"api_key\":\"phc_1\",\"batch\":[" + string.Join(',', Enumerable.Range(0, 100).Select(i => J($$$"""
            {'event':'$pageview','uuid':'u-{{{i}}}','timestamp':'2024-05-01T11:59:58.123Z','properties':{'distinct_id':'dev-{{{i}}}',
             '$device_id':'dev-{{{i}}}','$is_identified':false,'$current_url':'https://shop.example/p/{{{i}}}?x=1','$pathname':'/p/{{{i}}}',
             '$referrer':'$direct','title':'Product','$screen_width':1280,'$screen_height':720,'$lib':'web','$lib_version':'1.455.2',
             '$browser_language':'en-US','token':'phc_1'}}
            """))) + "],\"sent_at\":\"2024-05-01T12:00:00.000Z\"}");

    private static readonly byte[] PlausibleBody = Encoding.UTF8.GetBytes(J(
        "{'n':'Signup','u':'https://shop.example/pricing?x=1','d':'shop.example','r':'https://search.example/','p':{'plan':'pro','seats':3},'v':36}"));

    [Fact]
    public void A_posthog_batch_of_a_hundred_allocates_nothing_per_event()
    {
        var posthog = new Posthog.PosthogIngest();
        var perCall = MeasureAny(() =>
        {
            var sink = new CountingSink();
            var context = Context();
            posthog.Parse(PosthogBatchBody, in context, ref sink);
            return sink.Count;
        }, 500, out var perSecond, out var events);
        output.WriteLine($"posthog batch of 100 ({PosthogBatchBody.Length} B): {perCall:F1} B allocated per batch, {perSecond:N0} events/s on one thread");
        Assert.Equal(500 * 100, events);
        Assert.InRange(perCall, 0, 8);
    }

    [Fact]
    public void A_plausible_event_allocates_nothing()
    {
        var plausible = new Plausible.PlausibleIngest();
        var perCall = MeasureAny(() =>
        {
            var sink = new CountingSink();
            var sites = new OneSite();
            var context = Context();
            plausible.Parse(PlausibleBody, in context, ref sites, ref sink);
            return sink.Count;
        }, 20_000, out var perSecond, out var events);
        output.WriteLine($"plausible event ({PlausibleBody.Length} B): {perCall:F1} B allocated per event, {perSecond:N0} events/s on one thread");
        Assert.Equal(20_000, events);
        Assert.InRange(perCall, 0, 8);
    }

    private struct OneSite : Plausible.IDomainResolver
    {
        public readonly string? Resolve(scoped ReadOnlySpan<char> domain, out IngestError? refusal)
        {
            refusal = null;
            return "site-1";
        }
    }

    private static double MeasureAny(Func<int> parse, int iterations, out double eventsPerSecond, out int events)
    {
        var warmUp = Stopwatch.StartNew();
        while (warmUp.ElapsedMilliseconds < 600)
        {
            parse();
        }

        events = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            events += parse();
        }

        watch.Stop();
        eventsPerSecond = events / watch.Elapsed.TotalSeconds;
        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)iterations;
    }

    private static double Measure(SegmentCall call, byte[] body, int iterations, out double eventsPerSecond, out int events)
    {
        var ingest = Ingest.Segment;
        var context = Context();
        var sink = new CountingSink();
        // Warm up past tiered compilation, so the figures are for optimised code.
        var warmUp = Stopwatch.StartNew();
        while (warmUp.ElapsedMilliseconds < 600)
        {
            ingest.Parse(call, body, in context, ref sink);
        }

        sink = default;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            var result = ingest.Parse(call, body, in context, ref sink);
            if (result.BodyError is not null || result.Errors.Count > 0)
            {
                throw new InvalidOperationException(result.BodyError?.ToString() ?? result.Errors[0].ToString());
            }
        }

        watch.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        events = sink.Count;
        eventsPerSecond = sink.Count / watch.Elapsed.TotalSeconds;
        return allocated / (double)iterations;
    }
}
