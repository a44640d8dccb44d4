using System.Text.Json;
using Weir.Query.Stats;

namespace Weir.Query;

/// <summary>The fields every report request (stats, funnels, retention) reads the same way.</summary>
internal static class ReportRequest
{
    /// <summary>Checks that <paramref name="body"/> is an object; <paramref name="example"/> shows what one looks like.</summary>
    public static void RequireObject(JsonElement body, string example)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new QueryRequestException("", "the body must be a JSON object such as " + example);
        }
    }

    /// <summary>The site and its time zone; null site means the field was missing.</summary>
    public static (string SiteId, string TimeZone) Site(string? siteId, Func<string, string?> timeZoneOf)
    {
        if (string.IsNullOrEmpty(siteId))
        {
            throw new QueryRequestException("site_id", "site_id is required");
        }

        var timeZone = timeZoneOf(siteId) ?? throw new QueryRequestException("site_id", $"there is no site '{siteId}' that this token may read");
        return (siteId, timeZone);
    }

    public static string String(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new QueryRequestException(field, $"{field} must be a string");

    /// <summary>The date range in the site's zone; required.</summary>
    public static StatsDateRange DateRange(JsonElement? value, string timeZone, DateTimeOffset now) =>
        value is null
            ? throw new QueryRequestException("date_range", "date_range is required, e.g. \"30d\" or [\"2026-01-01\", \"2026-01-31\"]")
            : StatsRequestParser.ParseDateRange(value.Value, TimeZoneInfo.FindSystemTimeZoneById(timeZone), now);

    /// <summary>Writes <paramref name="range"/> as <c>"date_range": [from or null, to]</c>, as every report's response echoes it.</summary>
    public static void WriteDateRange(Utf8JsonWriter writer, StatsDateRange range)
    {
        writer.WriteStartArray("date_range");
        if (range.From is { } from)
        {
            writer.WriteStringValue(from);
        }
        else
        {
            writer.WriteNullValue();
        }

        writer.WriteStringValue(range.To);
        writer.WriteEndArray();
    }

    /// <summary>An integer within bounds.</summary>
    public static int Integer(JsonElement value, string field, int min, int max) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n >= min && n <= max
            ? n
            : throw new QueryRequestException(field, $"{field} must be a whole number from {min} to {max}");
}
