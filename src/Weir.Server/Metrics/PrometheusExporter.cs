using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Weir.Server.Metrics;

/// <summary>
/// Collects the measurements of every <see cref="Meter"/> whose name starts with <c>weir.</c> and renders them in
/// Prometheus' text format for <c>GET /metrics</c>. Counters become <c>_total</c> series, histograms get cumulative
/// buckets, observable gauges are read at scrape time. Recording takes a short per-instrument lock and allocates
/// nothing once a label set has been seen. A meter created with a scope is exported only by the exporter whose
/// <see cref="Scope"/> it is; unscoped <c>weir.</c> meters are process-wide and every exporter serves them.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private static readonly double[] DefaultBuckets = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<Instrument, Series> _series = [];

    public PrometheusExporter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith("weir.", StringComparison.Ordinal) && (instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, Scope)))
            {
                var series = new Series(instrument);
                lock (_gate)
                {
                    _series[instrument] = series;
                }

                // The series is the callback's state, so recording needs no lookup.
                listener.EnableMeasurementEvents(instrument, series);
            }
        };
        _listener.MeasurementsCompleted = (instrument, _) =>
        {
            lock (_gate)
            {
                _series.Remove(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Series)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((Series)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((Series)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>The scope a server gives its own meters, so that only this exporter reads them.</summary>
    public object Scope { get; } = new();

    /// <summary>Reads the observable instruments, then writes every series.</summary>
    public string Render()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder(4096);
        lock (_gate)
        {
            var ordered = new List<Series>(_series.Values);
            ordered.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            foreach (var series in ordered)
            {
                series.Write(text);
            }
        }

        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>One instrument: its kind, and a cell per label set.</summary>
    private sealed class Series
    {
        private readonly Lock _gate = new();
        private readonly List<Cell> _cells = [];
        private readonly double[] _buckets;
        private readonly Kind _kind;

        public Series(Instrument instrument)
        {
            var type = instrument.GetType();
            _kind = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Histogram<>) ? Kind.Histogram
                : type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Counter<>) || type.GetGenericTypeDefinition() == typeof(ObservableCounter<>)) ? Kind.Counter
                : Kind.Gauge;
            _buckets = HistogramBuckets(instrument) ?? DefaultBuckets;
            var name = Sanitize(instrument.Name);
            Name = _kind == Kind.Counter && !name.EndsWith("_total", StringComparison.Ordinal) ? name + "_total" : name;
            Help = instrument.Description ?? string.Empty;
        }

        public string Name { get; }

        private string Help { get; }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            lock (_gate)
            {
                var cell = Find(tags);
                switch (_kind)
                {
                    case Kind.Counter:
                        cell.Sum += value;
                        break;
                    case Kind.Gauge:
                        // An UpDownCounter adds; an observable gauge reports the value itself.
                        cell.Sum = cell.IsObservedGauge ? value : cell.Sum + value;
                        break;
                    case Kind.Histogram:
                        cell.Sum += value;
                        cell.Count++;
                        var i = 0;
                        while (i < _buckets.Length && value > _buckets[i])
                        {
                            i++;
                        }

                        cell.Buckets![i]++;
                        break;
                }
            }
        }

        public void Write(StringBuilder text)
        {
            lock (_gate)
            {
                if (_cells.Count == 0)
                {
                    return;
                }

                if (Help.Length > 0)
                {
                    text.Append("# HELP ").Append(Name).Append(' ').Append(Help.Replace("\n", " ", StringComparison.Ordinal)).Append('\n');
                }

                text.Append("# TYPE ").Append(Name).Append(' ').Append(_kind switch { Kind.Counter => "counter", Kind.Histogram => "histogram", _ => "gauge" }).Append('\n');
                foreach (var cell in _cells)
                {
                    if (_kind != Kind.Histogram)
                    {
                        text.Append(Name).Append(cell.Labels).Append(' ').Append(Format(cell.Sum)).Append('\n');
                        continue;
                    }

                    long cumulative = 0;
                    for (var i = 0; i <= _buckets.Length; i++)
                    {
                        cumulative += cell.Buckets![i];
                        var le = i < _buckets.Length ? Format(_buckets[i]) : "+Inf";
                        text.Append(Name).Append("_bucket").Append(WithLabel(cell.Labels, "le", le)).Append(' ').Append(cumulative).Append('\n');
                    }

                    text.Append(Name).Append("_sum").Append(cell.Labels).Append(' ').Append(Format(cell.Sum)).Append('\n');
                    text.Append(Name).Append("_count").Append(cell.Labels).Append(' ').Append(cell.Count).Append('\n');
                }
            }
        }

        private Cell Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var cell in _cells)
            {
                if (cell.Matches(tags))
                {
                    return cell;
                }
            }

            var created = new Cell(tags, _kind == Kind.Histogram ? new long[_buckets.Length + 1] : null, _kind == Kind.Gauge);
            _cells.Add(created);
            return created;
        }

        private static double[]? HistogramBuckets(Instrument instrument) =>
            instrument switch
            {
                Histogram<double> h => h.Advice?.HistogramBucketBoundaries is { Count: > 0 } b ? [.. b] : null,
                Histogram<long> h => h.Advice?.HistogramBucketBoundaries is { Count: > 0 } b ? [.. Convert(b)] : null,
                _ => null,
            };

        private static IEnumerable<double> Convert(IReadOnlyList<long> values)
        {
            foreach (var v in values)
            {
                yield return v;
            }
        }
    }

    private sealed class Cell
    {
        private readonly KeyValuePair<string, object?>[] _tags;

        public Cell(ReadOnlySpan<KeyValuePair<string, object?>> tags, long[]? buckets, bool isGauge)
        {
            _tags = tags.ToArray();
            Buckets = buckets;
            IsObservedGauge = isGauge;
            Labels = RenderLabels(_tags);
        }

        public string Labels { get; }

        public double Sum { get; set; }

        public long Count { get; set; }

        public long[]? Buckets { get; }

        public bool IsObservedGauge { get; }

        public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length != _tags.Length)
            {
                return false;
            }

            for (var i = 0; i < tags.Length; i++)
            {
                if (tags[i].Key != _tags[i].Key || !Equals(tags[i].Value, _tags[i].Value))
                {
                    return false;
                }
            }

            return true;
        }
    }

    private enum Kind
    {
        Counter,
        Gauge,
        Histogram,
    }

    private static string RenderLabels(KeyValuePair<string, object?>[] tags)
    {
        if (tags.Length == 0)
        {
            return string.Empty;
        }

        var text = new StringBuilder("{");
        for (var i = 0; i < tags.Length; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(Sanitize(tags[i].Key)).Append("=\"").Append(Escape(System.Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? string.Empty)).Append('"');
        }

        return text.Append('}').ToString();
    }

    private static string WithLabel(string labels, string name, string value) =>
        labels.Length == 0 ? $"{{{name}=\"{value}\"}}" : $"{labels[..^1]},{name}=\"{value}\"}}";

    private static string Sanitize(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!(char.IsAsciiLetterOrDigit(chars[i]) || chars[i] == '_' || chars[i] == ':'))
            {
                chars[i] = '_';
            }
        }

        return new string(chars);
    }

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : value.ToString("R", CultureInfo.InvariantCulture);
}
