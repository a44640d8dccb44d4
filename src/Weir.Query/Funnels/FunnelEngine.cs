using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Weir.Query.Execution;
using Weir.Query.Visits;

namespace Weir.Query.Funnels;

/// <summary>One step of a funnel's answer.</summary>
/// <param name="Label">The step as the request named it.</param>
/// <param name="Visitors">Visitors who reached this step (and every one before it, in order, within the window).</param>
/// <param name="MedianSecondsFromPrevious">The median time from the previous step, over the visitors who reached this one; null for the first step or when none did.</param>
public sealed record FunnelStepResult(string Label, long Visitors, double? MedianSecondsFromPrevious);

/// <summary>The steps of a funnel for one breakdown value, or for everyone.</summary>
public sealed record FunnelSteps(IReadOnlyList<FunnelStepResult> Steps)
{
    /// <summary>The share of the first step's visitors who reached step <paramref name="index"/>, in percent.</summary>
    public double ConversionRate(int index) => Percent(Steps[index].Visitors, Steps[0].Visitors);

    /// <summary>The share of the previous step's visitors who reached step <paramref name="index"/>, in percent.</summary>
    public double StepConversionRate(int index) => index == 0 ? 100 : Percent(Steps[index].Visitors, Steps[index - 1].Visitors);

    /// <summary>How many of the previous step's visitors did not reach step <paramref name="index"/>.</summary>
    public long Dropoff(int index) => index == 0 ? 0 : Steps[index - 1].Visitors - Steps[index].Visitors;

    private static double Percent(long part, long whole) =>
        whole == 0 ? 0 : Math.Round(100.0 * part / whole, 2, MidpointRounding.AwayFromZero);
}

/// <summary>What <see cref="FunnelEngine.Run"/> answers: the total, and per breakdown value when asked.</summary>
public sealed record FunnelResult(FunnelQuery Query, FunnelSteps Total, IReadOnlyList<(object? Value, FunnelSteps Steps)> Breakdown, bool BreakdownTruncated, TimeSpan Elapsed)
{
    /// <summary>Writes the response of <c>POST /api/v1/funnels</c> (docs/api.md "Funnels").</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        WriteSteps(writer, Total);
        if (Query.Breakdown is { } dimension)
        {
            writer.WriteStartObject("breakdown");
            writer.WriteString("dimension", dimension.Name);
            writer.WriteStartArray("results");
            foreach (var (value, steps) in Breakdown)
            {
                writer.WriteStartObject();
                writer.WritePropertyName("value");
                JsonValueWriter.Write(writer, value);
                WriteSteps(writer, steps);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteBoolean("truncated", BreakdownTruncated);
            writer.WriteEndObject();
        }

        writer.WriteStartObject("meta");
        writer.WriteNumber("elapsed_ms", Math.Round(Elapsed.TotalMilliseconds, 1));
        writer.WriteString("time_zone", Query.TimeZone);
        writer.WriteNumber("window_seconds", (long)Query.Window.TotalSeconds);
        writer.WriteString("order", Query.StrictOrder ? "strict" : "loose");
        ReportRequest.WriteDateRange(writer, Query.DateRange);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteSteps(Utf8JsonWriter writer, FunnelSteps funnel)
    {
        writer.WriteStartArray("steps");
        for (var i = 0; i < funnel.Steps.Count; i++)
        {
            var step = funnel.Steps[i];
            writer.WriteStartObject();
            writer.WriteNumber("step", i + 1);
            writer.WriteString("label", step.Label);
            writer.WriteNumber("visitors", step.Visitors);
            writer.WriteNumber("conversion_rate", funnel.ConversionRate(i));
            writer.WriteNumber("step_conversion_rate", funnel.StepConversionRate(i));
            writer.WriteNumber("dropoff", funnel.Dropoff(i));
            writer.WriteNumber("dropoff_rate", i == 0 ? 0 : Math.Round(100 - funnel.StepConversionRate(i), 2, MidpointRounding.AwayFromZero));
            if (step.MedianSecondsFromPrevious is { } median)
            {
                writer.WriteNumber("median_seconds_from_previous", median);
            }
            else
            {
                writer.WriteNull("median_seconds_from_previous");
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}

/// <summary>
/// Runs funnels over an <see cref="IQuerySource"/>: from the day summaries of a <see cref="VisitStore"/> when the
/// funnel needs nothing else (no breakdown, no property conditions), otherwise with <see cref="FunnelSql"/>.
/// </summary>
public sealed class FunnelEngine(IQuerySource source, VisitStore? visits = null)
{
    private readonly VisitStore _visits = visits ?? new VisitStore(source);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether funnels the day summaries can answer are answered from them (tests turn it off to compare the two).</summary>
    public bool UseDaySummaries { get; init; } = true;

    /// <exception cref="QueryRequestException">DuckDB rejected the query or it ran out of time.</exception>
    public FunnelResult Run(FunnelQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var started = Stopwatch.GetTimestamp();
        var n = query.Steps.Count;
        if (UseDaySummaries && VisitFunnel.Supports(query)
            && _visits.TryGetEventDays(query.SiteId, TimeZoneInfo.FindSystemTimeZoneById(query.TimeZone), query.DateRange.FirstDay,
                query.DateRange.LastDay, Timeout, out var site, out var days))
        {
            var (visitors, medians) = VisitFunnel.Run(query, site, days, pattern => _visits.GlobMatches(site, pattern, Timeout));
            var steps = new FunnelStepResult[n];
            for (var k = 0; k < n; k++)
            {
                steps[k] = new FunnelStepResult(query.Steps[k].Label, visitors[k], medians[k]);
            }

            return new FunnelResult(query, new FunnelSteps(steps), [], false, Stopwatch.GetElapsedTime(started));
        }

        using var connection = source.Connect();
        var rows = FunnelSql.Build(query, source.EventsRelation).ReadAll(connection, Timeout);
        FunnelSteps? total = null;
        var breakdown = new List<(object?, FunnelSteps)>();
        var truncated = false;
        foreach (var row in rows)
        {
            var steps = new FunnelStepResult[n];
            for (var k = 0; k < n; k++)
            {
                var visitors = Convert.ToInt64(row[2 + k], CultureInfo.InvariantCulture);
                double? median = k == 0 || row[2 + n + k - 1] is null ? null : Convert.ToDouble(row[2 + n + k - 1], CultureInfo.InvariantCulture);
                steps[k] = new FunnelStepResult(query.Steps[k].Label, visitors, median);
            }

            if (Convert.ToInt32(row[0], CultureInfo.InvariantCulture) == 1)
            {
                total = new FunnelSteps(steps);
            }
            else if (breakdown.Count < query.BreakdownLimit)
            {
                breakdown.Add((row[1], new FunnelSteps(steps)));
            }
            else
            {
                truncated = true;
            }
        }

        total ??= new FunnelSteps([.. query.Steps.Select(s => new FunnelStepResult(s.Label, 0, null))]);
        return new FunnelResult(query, total, breakdown, truncated, Stopwatch.GetElapsedTime(started));
    }
}
