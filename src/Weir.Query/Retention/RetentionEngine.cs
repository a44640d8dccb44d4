using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Weir.Query.Stats;
using Weir.Query.Visits;

namespace Weir.Query.Retention;

/// <summary>One cohort's row: its size, and per period the visitors who came back (null for a period not yet begun).</summary>
public sealed record RetentionCohort(DateOnly Start, long Visitors, IReadOnlyList<long?> Returning)
{
    /// <summary>The share of the cohort that came back in period <paramref name="k"/>, in percent; null when not yet known.</summary>
    public double? Rate(int k) =>
        Returning[k] is not { } returning ? null : Visitors == 0 ? 0 : Math.Round(100.0 * returning / Visitors, 2, MidpointRounding.AwayFromZero);
}

/// <summary>What <see cref="RetentionEngine.Run"/> answers: one row per cohort of the range, oldest first.</summary>
public sealed record RetentionResult(RetentionQuery Query, IReadOnlyList<RetentionCohort> Cohorts, TimeSpan Elapsed)
{
    /// <summary>Writes the response of <c>POST /api/v1/retention</c> (docs/api.md "Retention").</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("period", Query.Period.ToString().ToLowerInvariant());
        writer.WriteNumber("periods", Query.Periods);
        writer.WriteStartArray("cohorts");
        foreach (var cohort in Cohorts)
        {
            writer.WriteStartObject();
            writer.WriteString("cohort", cohort.Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            writer.WriteNumber("visitors", cohort.Visitors);
            writer.WriteStartArray("retention");
            for (var k = 0; k < cohort.Returning.Count; k++)
            {
                if (cohort.Returning[k] is not { } returning)
                {
                    writer.WriteNullValue();
                    continue;
                }

                writer.WriteStartObject();
                writer.WriteNumber("period", k);
                writer.WriteNumber("visitors", returning);
                writer.WriteNumber("rate", cohort.Rate(k)!.Value);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartObject("meta");
        writer.WriteNumber("elapsed_ms", Math.Round(Elapsed.TotalMilliseconds, 1));
        writer.WriteString("time_zone", Query.TimeZone);
        writer.WriteString("cohort_event", Query.CohortEvent.Label);
        writer.WriteString("return_event", Query.ReturnEvent.Label);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}

/// <summary>Runs retention queries over an <see cref="IQuerySource"/>.</summary>
/// <param name="source">Where the events are.</param>
/// <param name="visits">The day summaries to read, shared with the other engines; a store of its own when null.</param>
public sealed class RetentionEngine(IQuerySource source, VisitStore? visits = null)
{
    private readonly VisitStore _visits = visits ?? new VisitStore(source);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether retention over any session event reads the day summaries (the default) rather than SQL; the tests run both.</summary>
    public bool UseDaySummaries { get; init; } = true;

    /// <exception cref="QueryRequestException">DuckDB rejected the query or it ran out of time.</exception>
    public RetentionResult Run(RetentionQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var started = Stopwatch.GetTimestamp();
        var zone = TimeZoneInfo.FindSystemTimeZoneById(query.TimeZone);
        var counts = Counts(query, zone);
        var cohorts = new List<RetentionCohort>();
        for (var start = query.FirstCohort; start <= query.LastCohort; start = query.PeriodAfter(start, 1))
        {
            var size = counts.GetValueOrDefault((start, 0));
            var returning = new long?[query.Periods];
            for (var k = 0; k < returning.Length; k++)
            {
                var begun = StatsRequestParser.StartOfDay(query.PeriodAfter(start, k), zone) <= query.AsOf;
                returning[k] = !begun ? null : k == 0 ? size : counts.GetValueOrDefault((start, k));
            }

            cohorts.Add(new RetentionCohort(start, size, returning));
        }

        return new RetentionResult(query, cohorts, Stopwatch.GetElapsedTime(started));
    }

    private Dictionary<(DateOnly Cohort, int Offset), long> Counts(RetentionQuery query, TimeZoneInfo zone)
    {
        // First sessions ever: every day from the site's first, up to the last day of the last cohort's last period.
        var lastDay = query.PeriodAfter(query.LastCohort, query.Periods).AddDays(-1);
        if (UseDaySummaries && VisitRetention.Supports(query)
            && _visits.TryGetDays(query.SiteId, zone, null, lastDay, Timeout, out var site, out var days))
        {
            return VisitRetention.Count(query, site, days, lastDay.AddDays(1 - days.Length));
        }

        using var connection = source.Connect();
        var counts = new Dictionary<(DateOnly, int), long>();
        foreach (var row in RetentionSql.Build(query, source.EventsRelation).ReadAll(connection, Timeout))
        {
            counts[((DateOnly)row[0]!, Convert.ToInt32(row[1], CultureInfo.InvariantCulture))] = Convert.ToInt64(row[2], CultureInfo.InvariantCulture);
        }

        return counts;
    }
}
