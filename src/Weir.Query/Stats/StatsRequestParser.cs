using System.Globalization;
using System.Text.Json;

namespace Weir.Query.Stats;

/// <summary>
/// Reads a Plausible Stats API v2-shaped body into a <see cref="StatsQuery"/>, checking every part and naming the
/// field at fault in its error (see docs/api.md "Stats").
/// </summary>
public static class StatsRequestParser
{
    public const int DefaultLimit = 10_000;
    public const int MaxLimit = 10_000;

    /// <summary>Parses <paramref name="body"/>.</summary>
    /// <param name="body">The request's JSON.</param>
    /// <param name="timeZoneOf">The site's IANA time zone by site id; null when the caller may not read the site or it does not exist.</param>
    /// <param name="now">The current instant, for relative ranges such as <c>7d</c>.</param>
    /// <exception cref="QueryRequestException">The body is not a valid query.</exception>
    public static StatsQuery Parse(JsonElement body, Func<string, string?> timeZoneOf, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(timeZoneOf);
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new QueryRequestException("", "the body must be a JSON object such as {\"site_id\":\"…\",\"metrics\":[\"visitors\"],\"date_range\":\"7d\"}");
        }

        string? siteId = null;
        IReadOnlyList<StatsMetric>? metrics = null;
        JsonElement? dateRange = null;
        IReadOnlyList<StatsDimension> dimensions = [];
        StatsFilter? filter = null;
        JsonElement? orderBy = null;
        var compare = false;
        int limit = DefaultLimit, offset = 0;
        foreach (var property in body.EnumerateObject())
        {
            switch (property.Name)
            {
                case "site_id":
                    siteId = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : throw new QueryRequestException("site_id", "site_id must be a string");
                    break;
                case "metrics":
                    metrics = ParseMetrics(property.Value);
                    break;
                case "date_range":
                    dateRange = property.Value;
                    break;
                case "dimensions":
                    dimensions = ParseDimensions(property.Value);
                    break;
                case "filters":
                    filter = ParseFilters(property.Value);
                    break;
                case "order_by":
                    orderBy = property.Value;
                    break;
                case "include":
                    compare = ParseInclude(property.Value);
                    break;
                case "pagination":
                    (limit, offset) = ParsePagination(property.Value);
                    break;
                default:
                    throw new QueryRequestException(property.Name,
                        $"'{property.Name}' is not a field of a stats query (site_id, metrics, date_range, dimensions, filters, order_by, include, pagination)");
            }
        }

        if (string.IsNullOrEmpty(siteId))
        {
            throw new QueryRequestException("site_id", "site_id is required");
        }

        var timeZone = timeZoneOf(siteId) ?? throw new QueryRequestException("site_id", $"there is no site '{siteId}' that this token may read");
        if (metrics is null)
        {
            throw new QueryRequestException("metrics", "metrics is required, e.g. [\"visitors\", \"pageviews\"]");
        }

        if (dateRange is null)
        {
            throw new QueryRequestException("date_range", "date_range is required, e.g. \"7d\" or [\"2026-01-01\", \"2026-01-31\"]");
        }

        var range = ParseDateRange(dateRange.Value, TimeZoneInfo.FindSystemTimeZoneById(timeZone), now);
        if (compare && range.From is null)
        {
            throw new QueryRequestException("include.comparisons", "a comparison needs a bounded date_range; \"all\" has no previous period");
        }

        if (metrics.Contains(StatsMetric.ConversionRate) && StatsSql.SplitGoal(filter).Goal is null)
        {
            throw new QueryRequestException("metrics", "conversion_rate needs a filter on event:name (the goal), e.g. [\"is\", \"event:name\", [\"Signup\"]]");
        }

        var query = new StatsQuery
        {
            SiteId = siteId,
            TimeZone = timeZone,
            Metrics = metrics,
            DateRange = range,
            Dimensions = dimensions,
            Filter = filter,
            CompareWithPreviousPeriod = compare,
            Limit = limit,
            Offset = offset,
        };
        return query with { OrderBy = orderBy is null ? [] : ParseOrderBy(orderBy.Value, query) };
    }

    private static List<StatsMetric> ParseMetrics(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            throw new QueryRequestException("metrics", "metrics must be a non-empty array, e.g. [\"visitors\", \"pageviews\"]");
        }

        var metrics = new List<StatsMetric>();
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var name = item.ValueKind == JsonValueKind.String ? item.GetString()! : "";
            StatsMetric metric = name switch
            {
                "visitors" => StatsMetric.Visitors,
                "visits" => StatsMetric.Visits,
                "pageviews" => StatsMetric.Pageviews,
                "views_per_visit" => StatsMetric.ViewsPerVisit,
                "bounce_rate" => StatsMetric.BounceRate,
                "visit_duration" => StatsMetric.VisitDuration,
                "events" => StatsMetric.Events,
                "conversion_rate" => StatsMetric.ConversionRate,
                _ => throw new QueryRequestException($"metrics[{i}]",
                    $"'{item}' is not a metric (visitors, visits, pageviews, views_per_visit, bounce_rate, visit_duration, events, conversion_rate)"),
            };
            if (metrics.Contains(metric))
            {
                throw new QueryRequestException($"metrics[{i}]", $"the metric '{name}' is named twice");
            }

            metrics.Add(metric);
            i++;
        }

        return metrics;
    }

    private static List<StatsDimension> ParseDimensions(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new QueryRequestException("dimensions", "dimensions must be an array, e.g. [\"visit:source\"]");
        }

        var dimensions = new List<StatsDimension>();
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var dimension = ParseDimension(item, $"dimensions[{i}]");
            if (dimensions.Exists(d => d.Name == dimension.Name))
            {
                throw new QueryRequestException($"dimensions[{i}]", $"the dimension '{dimension.Name}' is named twice");
            }

            if (dimension.IsTime && dimensions.Exists(d => d.IsTime))
            {
                throw new QueryRequestException($"dimensions[{i}]", "a query may have one time dimension");
            }

            dimensions.Add(dimension);
            i++;
        }

        return dimensions;
    }

    private static StatsDimension ParseDimension(JsonElement item, string field)
    {
        var name = item.ValueKind == JsonValueKind.String ? item.GetString()! : item.ToString();
        return StatsDimension.Find(name)
            ?? throw new QueryRequestException(field, $"'{name}' is not a dimension ({string.Join(", ", StatsDimension.KnownNames)})");
    }

    private static StatsFilter? ParseFilters(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new QueryRequestException("filters", "filters must be an array of filters, e.g. [[\"is\", \"visit:country\", [\"DE\"]]]");
        }

        // The top-level list is an implicit "and", as in Plausible.
        var filters = new List<StatsFilter>();
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            filters.Add(ParseFilter(item, $"filters[{i++}]"));
        }

        return LogicalFilter.AllOf(filters);
    }

    private static StatsFilter ParseFilter(JsonElement item, string field)
    {
        if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() == 0 || item[0].ValueKind != JsonValueKind.String)
        {
            throw new QueryRequestException(field, "a filter is an array such as [\"is\", \"visit:country\", [\"DE\"]], [\"and\", [filters]], [\"or\", [filters]] or [\"not\", filter]");
        }

        var op = item[0].GetString()!;
        switch (op)
        {
            case "and" or "or":
                if (item.GetArrayLength() != 2 || item[1].ValueKind != JsonValueKind.Array || item[1].GetArrayLength() == 0)
                {
                    throw new QueryRequestException(field, $"[\"{op}\", [filters]] takes one non-empty array of filters");
                }

                var children = new List<StatsFilter>();
                var i = 0;
                foreach (var child in item[1].EnumerateArray())
                {
                    children.Add(ParseFilter(child, $"{field}[1][{i++}]"));
                }

                return new LogicalFilter(op == "and", children);
            case "not":
                if (item.GetArrayLength() != 2)
                {
                    throw new QueryRequestException(field, "[\"not\", filter] takes one filter");
                }

                return new NotFilter(ParseFilter(item[1], field + "[1]"));
        }

        FilterOperator comparison = op switch
        {
            "is" => FilterOperator.Is,
            "is_not" => FilterOperator.IsNot,
            "contains" => FilterOperator.Contains,
            "contains_not" => FilterOperator.ContainsNot,
            "matches" => FilterOperator.Matches,
            "matches_not" => FilterOperator.MatchesNot,
            _ => throw new QueryRequestException(field + "[0]", $"'{op}' is not a filter operator (is, is_not, contains, contains_not, matches, matches_not, and, or, not)"),
        };
        if (item.GetArrayLength() != 3)
        {
            throw new QueryRequestException(field, $"[\"{op}\", dimension, [values]] takes a dimension and an array of values");
        }

        var dimension = ParseDimension(item[1], field + "[1]");
        if (dimension.IsTime)
        {
            throw new QueryRequestException(field + "[1]", "time dimensions cannot be filtered; use date_range");
        }

        if (item[2].ValueKind != JsonValueKind.Array || item[2].GetArrayLength() == 0)
        {
            throw new QueryRequestException(field + "[2]", "the values must be a non-empty array of strings");
        }

        var values = new List<string>();
        var v = 0;
        foreach (var element in item[2].EnumerateArray())
        {
            values.Add(element.ValueKind == JsonValueKind.String
                ? element.GetString()!
                : throw new QueryRequestException($"{field}[2][{v}]", "filter values must be strings"));
            v++;
        }

        return new ComparisonFilter(comparison, dimension, values);
    }

    private static bool ParseInclude(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new QueryRequestException("include", "include must be an object, e.g. {\"comparisons\":{\"mode\":\"previous_period\"}}");
        }

        var compare = false;
        foreach (var property in value.EnumerateObject())
        {
            if (property.Name != "comparisons")
            {
                throw new QueryRequestException("include." + property.Name, $"'{property.Name}' is not something a stats query can include (comparisons)");
            }

            if (property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (property.Value.ValueKind != JsonValueKind.Object || !property.Value.TryGetProperty("mode", out var mode) || mode.ValueKind != JsonValueKind.String || mode.GetString() != "previous_period")
            {
                throw new QueryRequestException("include.comparisons", "comparisons must be {\"mode\":\"previous_period\"}");
            }

            compare = true;
        }

        return compare;
    }

    private static (int Limit, int Offset) ParsePagination(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new QueryRequestException("pagination", "pagination must be an object such as {\"limit\":100,\"offset\":0}");
        }

        int limit = DefaultLimit, offset = 0;
        foreach (var property in value.EnumerateObject())
        {
            if (!property.Value.TryGetInt32(out var number))
            {
                throw new QueryRequestException("pagination." + property.Name, $"pagination.{property.Name} must be an integer");
            }

            switch (property.Name)
            {
                case "limit" when number is >= 1 and <= MaxLimit:
                    limit = number;
                    break;
                case "limit":
                    throw new QueryRequestException("pagination.limit", $"pagination.limit must be between 1 and {MaxLimit}");
                case "offset" when number >= 0:
                    offset = number;
                    break;
                case "offset":
                    throw new QueryRequestException("pagination.offset", "pagination.offset must not be negative");
                default:
                    throw new QueryRequestException("pagination." + property.Name, $"'{property.Name}' is not a pagination field (limit, offset)");
            }
        }

        return (limit, offset);
    }

    private static List<StatsOrder> ParseOrderBy(JsonElement value, StatsQuery query)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new QueryRequestException("order_by", "order_by must be an array such as [[\"visitors\", \"desc\"]]");
        }

        var orders = new List<StatsOrder>();
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var field = $"order_by[{i++}]";
            if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() != 2 || item[0].ValueKind != JsonValueKind.String
                || item[1].GetString() is not ("asc" or "desc"))
            {
                throw new QueryRequestException(field, "each order is [metric or dimension, \"asc\" or \"desc\"]");
            }

            var name = item[0].GetString()!;
            var descending = item[1].GetString() == "desc";
            var dimension = query.Dimensions.FirstOrDefault(d => d.Name == name);
            if (dimension is not null)
            {
                orders.Add(new StatsOrder(null, dimension, descending));
                continue;
            }

            var metric = query.Metrics.Select(m => (StatsMetric?)m).FirstOrDefault(m => StatsSql.MetricName(m!.Value) == name)
                ?? throw new QueryRequestException(field + "[0]", $"'{name}' is neither a metric nor a dimension of this query");
            orders.Add(new StatsOrder(metric, null, descending));
        }

        return orders;
    }

    /// <summary>
    /// <c>day</c> (today), <c>Nd</c> (the N days ending today), <c>month</c> and <c>year</c> (to date), <c>all</c>, or
    /// <c>["YYYY-MM-DD", "YYYY-MM-DD"]</c> (inclusive), all as local dates of the site's time zone.
    /// </summary>
    internal static StatsDateRange ParseDateRange(JsonElement value, TimeZoneInfo zone, DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        DateOnly first, last = today;
        if (value.ValueKind == JsonValueKind.Array)
        {
            if (value.GetArrayLength() != 2 || !TryDate(value[0], out first) || !TryDate(value[1], out last))
            {
                throw new QueryRequestException("date_range", "a custom date_range is two dates, [\"YYYY-MM-DD\", \"YYYY-MM-DD\"]");
            }

            if (last < first)
            {
                throw new QueryRequestException("date_range", "the date_range ends before it starts");
            }
        }
        else
        {
            var name = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.ToString();
            switch (name)
            {
                case "all":
                    return new StatsDateRange(null, StartOfDay(today.AddDays(1), zone), null, today);
                case "day":
                    first = today;
                    break;
                case "month":
                    first = new DateOnly(today.Year, today.Month, 1);
                    break;
                case "year":
                    first = new DateOnly(today.Year, 1, 1);
                    break;
                case [.., 'd'] when int.TryParse(name.AsSpan(0, name.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days is >= 1 and <= 3660:
                    first = today.AddDays(1 - days);
                    break;
                default:
                    throw new QueryRequestException("date_range", $"'{name}' is not a date range (day, 7d, 30d, month, year, all, or [\"YYYY-MM-DD\", \"YYYY-MM-DD\"])");
            }
        }

        return new StatsDateRange(StartOfDay(first, zone), StartOfDay(last.AddDays(1), zone), first, last);
    }

    /// <summary>The range of the same number of days just before <paramref name="range"/>.</summary>
    internal static StatsDateRange PreviousPeriod(StatsDateRange range, TimeZoneInfo zone)
    {
        var first = range.FirstDay ?? throw new InvalidOperationException("an unbounded range has no previous period");
        var days = range.LastDay.DayNumber - first.DayNumber + 1;
        var previousFirst = first.AddDays(-days);
        return new StatsDateRange(StartOfDay(previousFirst, zone), StartOfDay(first, zone), previousFirst, first.AddDays(-1));
    }

    /// <summary>The instant a local date begins in <paramref name="zone"/> (the first valid local time on a DST gap).</summary>
    internal static DateTimeOffset StartOfDay(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(15);
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    private static bool TryDate(JsonElement value, out DateOnly date)
    {
        date = default;
        return value.ValueKind == JsonValueKind.String
            && DateOnly.TryParseExact(value.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
    }
}
