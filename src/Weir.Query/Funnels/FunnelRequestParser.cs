using System.Globalization;
using System.Text.Json;
using Weir.Query.Conditions;
using Weir.Query.Stats;

namespace Weir.Query.Funnels;

/// <summary>Reads the body of <c>POST /api/v1/funnels</c> (docs/api.md "Funnels"), naming the field at fault in every error.</summary>
public static class FunnelRequestParser
{
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(1);
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(90);
    public const int DefaultBreakdownLimit = 100;
    public const int MaxBreakdownLimit = 1000;

    private const string Example = "{\"site_id\":\"…\",\"date_range\":\"30d\",\"steps\":[{\"page\":\"/pricing\"},{\"event\":\"Signup\"}]}";

    /// <exception cref="QueryRequestException">The body is not a valid funnel.</exception>
    public static FunnelQuery Parse(JsonElement body, Func<string, string?> timeZoneOf, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(timeZoneOf);
        ReportRequest.RequireObject(body, Example);
        string? siteId = null;
        JsonElement? dateRange = null;
        List<EventCondition>? steps = null;
        var window = DefaultWindow;
        var strict = false;
        StatsDimension? breakdown = null;
        var limit = DefaultBreakdownLimit;
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
                case "steps":
                    steps = ParseSteps(property.Value);
                    break;
                case "window":
                    window = ParseWindow(property.Value);
                    break;
                case "order":
                    strict = ReportRequest.String(property.Value, "order") switch
                    {
                        "loose" => false,
                        "strict" => true,
                        var other => throw new QueryRequestException("order", $"'{other}' is not an order (loose: other events may come between steps; strict: none may)"),
                    };
                    break;
                case "breakdown":
                    breakdown = ParseBreakdown(property.Value);
                    break;
                case "breakdown_limit":
                    limit = ReportRequest.Integer(property.Value, "breakdown_limit", 1, MaxBreakdownLimit);
                    break;
                default:
                    throw new QueryRequestException(property.Name,
                        $"'{property.Name}' is not a field of a funnel (site_id, date_range, steps, window, order, breakdown, breakdown_limit)");
            }
        }

        var (site, timeZone) = ReportRequest.Site(siteId, timeZoneOf);
        var range = ReportRequest.DateRange(dateRange, timeZone, now);
        if (steps is null)
        {
            throw new QueryRequestException("steps", "steps is required: 2 to 8 steps such as [{\"page\":\"/pricing\"},{\"event\":\"Signup\"}]");
        }

        return new FunnelQuery
        {
            SiteId = site,
            TimeZone = timeZone,
            DateRange = range,
            Steps = steps,
            Window = window,
            StrictOrder = strict,
            Breakdown = breakdown,
            BreakdownLimit = limit,
        };
    }

    private static List<EventCondition> ParseSteps(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() is < FunnelQuery.MinSteps or > FunnelQuery.MaxSteps)
        {
            throw new QueryRequestException("steps", $"steps must be an array of {FunnelQuery.MinSteps} to {FunnelQuery.MaxSteps} steps");
        }

        var steps = new List<EventCondition>();
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            steps.Add(EventCondition.Parse(item, $"steps[{i++}]"));
        }

        return steps;
    }

    /// <summary>A number of seconds, or text such as <c>"90s"</c>, <c>"30m"</c>, <c>"2h"</c>, <c>"7d"</c>.</summary>
    private static TimeSpan ParseWindow(JsonElement value)
    {
        TimeSpan? window = null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds) && seconds > 0 && seconds <= MaxWindow.TotalSeconds)
        {
            window = TimeSpan.FromSeconds(seconds);
        }
        else if (value.ValueKind == JsonValueKind.String && value.GetString() is [.. var digits, var unit]
                 && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && n <= 1_000_000_000)
        {
            window = unit switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => null,
            };
        }

        return window is { } w && w <= MaxWindow
            ? w
            : throw new QueryRequestException("window", $"window must be seconds (a number) or a duration such as \"30m\", \"2h\" or \"7d\", at most {MaxWindow.TotalDays:0} days");
    }

    private static StatsDimension ParseBreakdown(JsonElement value)
    {
        var name = ReportRequest.String(value, "breakdown");
        var dimension = StatsDimension.Find(name) ?? throw new QueryRequestException("breakdown", $"'{name}' is not a dimension ({string.Join(", ", StatsDimension.KnownNames)})");
        return dimension.IsTime
            ? throw new QueryRequestException("breakdown", "a funnel breaks down by an event or visit dimension, not by time")
            : dimension;
    }
}
