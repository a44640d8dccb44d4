using System.Diagnostics;
using System.Text.Json;
using Weir.Query.Visits;

namespace Weir.Query.Stats;

/// <summary>One row of a stats result: the dimensions' values, the metrics', and the previous period's when compared.</summary>
public sealed record StatsRow(IReadOnlyList<object?> Dimensions, IReadOnlyList<object?> Metrics, IReadOnlyList<object?>? PreviousMetrics);

/// <summary>What <see cref="StatsEngine.Run"/> answers.</summary>
public sealed record StatsResult(StatsQuery Query, IReadOnlyList<StatsRow> Rows, TimeSpan Elapsed)
{
    /// <summary>
    /// Writes the response of <c>POST /api/v1/stats</c>: Plausible v2's <c>results</c> (each with <c>dimensions</c>,
    /// <c>metrics</c> and, when compared, <c>comparison</c> with the previous period's metrics and the change), then
    /// <c>meta</c> and the <c>query</c> as understood.
    /// </summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteStartArray("results");
        foreach (var row in Rows)
        {
            writer.WriteStartObject();
            WriteValues(writer, "metrics", row.Metrics);
            WriteValues(writer, "dimensions", row.Dimensions);
            if (row.PreviousMetrics is { } previous)
            {
                writer.WriteStartObject("comparison");
                WriteValues(writer, "dimensions", row.Dimensions);
                WriteValues(writer, "metrics", previous);
                writer.WriteStartArray("change");
                for (var i = 0; i < previous.Count; i++)
                {
                    WriteValue(writer, Change(Query.Metrics[i], row.Metrics[i], previous[i]));
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartObject("meta");
        writer.WriteNumber("elapsed_ms", Math.Round(Elapsed.TotalMilliseconds, 1));
        writer.WriteString("time_zone", Query.TimeZone);
        writer.WriteEndObject();
        writer.WriteStartObject("query");
        writer.WriteString("site_id", Query.SiteId);
        writer.WriteStartArray("metrics");
        foreach (var metric in Query.Metrics)
        {
            writer.WriteStringValue(StatsSql.MetricName(metric));
        }

        writer.WriteEndArray();
        ReportRequest.WriteDateRange(writer, Query.DateRange);
        writer.WriteStartArray("dimensions");
        foreach (var dimension in Query.Dimensions)
        {
            writer.WriteStringValue(dimension.Name);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>
    /// The change from the previous period: a percentage for counts and durations, the difference in points for
    /// bounce and conversion rates (as Plausible shows them); null when there is nothing to compare with.
    /// </summary>
    internal static object? Change(StatsMetric metric, object? current, object? previous)
    {
        var now = Convert.ToDouble(current ?? 0, System.Globalization.CultureInfo.InvariantCulture);
        var before = Convert.ToDouble(previous ?? 0, System.Globalization.CultureInfo.InvariantCulture);
        if (metric is StatsMetric.BounceRate or StatsMetric.ConversionRate)
        {
            return Math.Round(now - before, 2, MidpointRounding.AwayFromZero);
        }

        return before == 0 ? null : (long)Math.Round((now - before) / before * 100, MidpointRounding.AwayFromZero);
    }

    private static void WriteValues(Utf8JsonWriter writer, string name, IReadOnlyList<object?> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            WriteValue(writer, value);
        }

        writer.WriteEndArray();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case double d:
                writer.WriteNumberValue(d);
                break;
            case decimal m:
                writer.WriteNumberValue(m);
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }
}

/// <summary>Runs stats queries over an <see cref="IQuerySource"/>.</summary>
/// <param name="source">Where the events are.</param>
/// <param name="visits">The day summaries to read, shared with the other engines; a store of its own when null.</param>
public sealed class StatsEngine(IQuerySource source, VisitStore? visits = null)
{
    private readonly VisitStore _visits = visits ?? new VisitStore(source);

    /// <summary>How long one report may run before it is interrupted.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether the queries <see cref="VisitStats"/> can answer read the day summaries of a <see cref="VisitStore"/>
    /// (the default) rather than SQL over the events; the tests run both.
    /// </summary>
    public bool UseDaySummaries { get; init; } = true;

    /// <summary>Runs <paramref name="query"/> (and its previous period, when asked).</summary>
    /// <exception cref="QueryRequestException">DuckDB rejected the query, e.g. an invalid regular expression in a filter.</exception>
    public StatsResult Run(StatsQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var started = Stopwatch.GetTimestamp();
        var zone = TimeZoneInfo.FindSystemTimeZoneById(query.TimeZone);
        var rows = Rows(query, query.DateRange, zone, paginate: true);
        var dimensions = query.Dimensions.Count;
        var result = new List<StatsRow>(rows.Count);
        if (query.CompareWithPreviousPeriod)
        {
            var previousRange = StatsRequestParser.PreviousPeriod(query.DateRange, zone);
            var previous = Rows(query, previousRange, zone, paginate: false);
            var byKey = new Dictionary<string, object?[]>(StringComparer.Ordinal);
            foreach (var row in previous)
            {
                byKey[Key(row, dimensions)] = row;
            }

            foreach (var row in rows)
            {
                var metrics = row[dimensions..];
                var before = byKey.TryGetValue(Key(row, dimensions), out var match) ? match[dimensions..] : Zeros(query);
                result.Add(new StatsRow(row[..dimensions], metrics, before));
            }
        }
        else
        {
            foreach (var row in rows)
            {
                result.Add(new StatsRow(row[..dimensions], row[dimensions..], null));
            }
        }

        return new StatsResult(query, result, Stopwatch.GetElapsedTime(started));
    }

    private List<object?[]> Rows(StatsQuery query, StatsDateRange range, TimeZoneInfo zone, bool paginate)
    {
        if (UseDaySummaries && VisitStats.Supports(query)
            && _visits.TryGetDays(query.SiteId, zone, range.FirstDay, range.LastDay, Timeout, out var site, out var days))
        {
            return VisitStats.Run(query, site, days, range.LastDay.AddDays(1 - days.Length), paginate);
        }

        using var connection = source.Connect();
        return StatsSql.Build(query, range, source.EventsRelation, paginate).ReadAll(connection, Timeout);
    }

    private static object?[] Zeros(StatsQuery query)
    {
        var zeros = new object?[query.Metrics.Count];
        for (var i = 0; i < zeros.Length; i++)
        {
            zeros[i] = query.Metrics[i] is StatsMetric.ViewsPerVisit or StatsMetric.ConversionRate ? 0.0 : 0L;
        }

        return zeros;
    }

    private static string Key(object?[] row, int dimensions)
    {
        var key = new System.Text.StringBuilder();
        for (var i = 0; i < dimensions; i++)
        {
            key.Append(row[i] is null ? "\u0001" : row[i]!.ToString()).Append('\u0000');
        }

        return key.ToString();
    }
}
