using System.Diagnostics.Metrics;

namespace Weir.Server.Tests;

public sealed class MetricsTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Weir_meters_are_served_in_prometheus_text_format()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        using var meter = new Meter("weir.test." + Guid.NewGuid().ToString("N"));
        var accepted = meter.CreateCounter<long>("weir.test.events_accepted", description: "Events accepted");
        var latency = meter.CreateHistogram<double>("weir.test.ack_latency_ms", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 10] });
        var backlog = 12345L;
        meter.CreateObservableGauge("weir.test.backlog_bytes", () => backlog);

        accepted.Add(3);
        accepted.Add(2, new KeyValuePair<string, object?>("reason", "bad \"json\""));
        latency.Record(0.5);
        latency.Record(5);
        latency.Record(50);

        var response = await server.Client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        Assert.Contains("# HELP weir_test_events_accepted_total Events accepted\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE weir_test_events_accepted_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("weir_test_events_accepted_total 3\n", text, StringComparison.Ordinal);
        Assert.Contains("weir_test_events_accepted_total{reason=\"bad \\\"json\\\"\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("weir_test_ack_latency_ms_bucket{le=\"1\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("weir_test_ack_latency_ms_bucket{le=\"10\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("weir_test_ack_latency_ms_bucket{le=\"+Inf\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("weir_test_ack_latency_ms_sum 55.5\n", text, StringComparison.Ordinal);
        Assert.Contains("weir_test_ack_latency_ms_count 3\n", text, StringComparison.Ordinal);
        Assert.Contains("weir_test_backlog_bytes 12345\n", text, StringComparison.Ordinal);

        backlog = 7;
        Assert.Contains("weir_test_backlog_bytes 7\n", await server.Client.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Other_meters_are_not_exported()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        using var meter = new Meter("someone.else");
        meter.CreateCounter<long>("someone.else.things").Add(1);
        Assert.DoesNotContain("someone", await server.Client.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }
}
