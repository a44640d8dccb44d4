using System.Text.Json;
using Weir.Query.Conditions;

namespace Weir.Query.Retention;

/// <summary>Reads the body of <c>POST /api/v1/retention</c> (docs/api.md "Retention"), naming the field at fault in every error.</summary>
public static class RetentionRequestParser
{
    public const int DefaultPeriods = 8;
    public const int MaxPeriods = 120;
    public const int MaxCohorts = 400;

    private const string Example = "{\"site_id\":\"…\",\"date_range\":[\"2026-01-05\",\"2026-03-01\"],\"period\":\"week\",\"periods\":8}";

    /// <exception cref="QueryRequestException">The body is not a valid retention query.</exception>
    public static RetentionQuery Parse(JsonElement body, Func<string, string?> timeZoneOf, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(timeZoneOf);
        ReportRequest.RequireObject(body, Example);
        string? siteId = null;
        JsonElement? dateRange = null;
        var period = RetentionPeriod.Week;
        var periods = DefaultPeriods;
        var cohortEvent = EventCondition.Any;
        var returnEvent = EventCondition.Any;
        foreach (var property in body.EnumerateObject())
        {
            switch (property.Name)
            {
                case "site_id":
                    siteId = ReportRequest.String(property.Value, "site_id");
                    break;
                case "date_range":
                    dateRange = property.Value;
                    break;
                case "period":
                    period = ReportRequest.String(property.Value, "period") switch
                    {
                        "day" => RetentionPeriod.Day,
                        "week" => RetentionPeriod.Week,
                        "month" => RetentionPeriod.Month,
                        var other => throw new QueryRequestException("period", $"'{other}' is not a period (day, week, month)"),
                    };
                    break;
                case "periods":
                    periods = ReportRequest.Integer(property.Value, "periods", 1, MaxPeriods);
                    break;
                case "cohort_event":
                    cohortEvent = EventCondition.Parse(property.Value, "cohort_event");
                    break;
                case "return_event":
                    returnEvent = EventCondition.Parse(property.Value, "return_event");
                    break;
                default:
                    throw new QueryRequestException(property.Name,
                        $"'{property.Name}' is not a field of a retention query (site_id, date_range, period, periods, cohort_event, return_event)");
            }
        }

        var (site, timeZone) = ReportRequest.Site(siteId, timeZoneOf);
        var range = ReportRequest.DateRange(dateRange, timeZone, now);
        if (range.FirstDay is not { } firstDay)
        {
            throw new QueryRequestException("date_range", "retention needs a bounded date_range for its cohorts; \"all\" has no first day");
        }

        var first = RetentionQuery.PeriodOf(firstDay, period);
        var last = RetentionQuery.PeriodOf(range.LastDay, period);
        var query = new RetentionQuery
        {
            SiteId = site,
            TimeZone = timeZone,
            Period = period,
            FirstCohort = first,
            LastCohort = last,
            AsOf = now,
            Periods = periods,
            CohortEvent = cohortEvent,
            ReturnEvent = returnEvent,
        };
        var cohorts = 1;
        for (var start = first; start < last; start = query.PeriodAfter(start, 1))
        {
            if (++cohorts > MaxCohorts)
            {
                throw new QueryRequestException("date_range", $"the date_range spans more than {MaxCohorts} cohorts of a {period.ToString().ToLowerInvariant()}; choose a longer period or a shorter range");
            }
        }

        return query;
    }
}
