using System.Diagnostics.Metrics;
using Weir.Log;

namespace Weir.Server.Ingest;

/// <summary>The <c>weir.ingest</c> and <c>weir.log</c> meters that <c>/metrics</c> serves.</summary>
internal sealed class IngestMetrics : IDisposable
{
    private readonly Meter _ingest;
    private readonly Meter _log;

    /// <param name="log">The log whose statistics the observable instruments read.</param>
    /// <param name="scope">
    /// The owning server's <see cref="Metrics.PrometheusExporter.Scope"/>: with several servers in one process (tests,
    /// embedded hosts) each exporter then reads only its own server's gauges, never those of one being disposed.
    /// </param>
    public IngestMetrics(DurableLog log, object? scope = null)
    {
        _ingest = new Meter(new MeterOptions("weir.ingest") { Scope = scope });
        _log = new Meter(new MeterOptions("weir.log") { Scope = scope });
        EventsAccepted = _ingest.CreateCounter<long>("weir.ingest.events_accepted", description: "Events made durable and acknowledged");
        EventsRejected = _ingest.CreateCounter<long>("weir.ingest.events_rejected", description: "Events refused, by reason");
        RequestsRejected = _ingest.CreateCounter<long>("weir.ingest.requests_rejected", description: "Whole requests refused, by reason");
        BytesReceived = _ingest.CreateCounter<long>("weir.ingest.bytes_received", description: "Request body bytes after decompression");
        AckLatency = _ingest.CreateHistogram<double>("weir.ingest.ack_latency_ms", unit: "ms",
            description: "From reading the request to the durable acknowledgement",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 1000] });

        _log.CreateObservableCounter("weir.log.records_appended", () => log.GetStatistics().RecordsAppended, description: "Records appended to the log");
        _log.CreateObservableCounter("weir.log.bytes_appended", () => log.GetStatistics().BytesAppended, description: "Payload bytes appended to the log");
        _log.CreateObservableCounter("weir.log.fsyncs", () => log.GetStatistics().Fsyncs, description: "fdatasync calls of the group commit");
        _log.CreateObservableGauge("weir.log.records_per_fsync", () => log.GetStatistics().RecordsPerFsync, description: "Events made durable per fsync, on average");
        _log.CreateObservableGauge("weir.log.backlog_bytes", () => log.BacklogBytes, description: "Bytes not yet read by the slowest consumer");
        _log.CreateObservableGauge("weir.log.healthy", () => log.State == LogState.Healthy ? 1 : 0, description: "1 while the log accepts appends");
    }

    public Counter<long> EventsAccepted { get; }

    public Counter<long> EventsRejected { get; }

    public Counter<long> RequestsRejected { get; }

    public Counter<long> BytesReceived { get; }

    public Histogram<double> AckLatency { get; }

    public void Dispose()
    {
        _ingest.Dispose();
        _log.Dispose();
    }
}
