using System.Globalization;

namespace Weir.Query.Execution;

/// <summary>
/// How a value reads as text in CSV and in tables: culture-invariant, timestamps in ISO 8601, blobs in base64 and
/// lists as JSON arrays, the same spellings the JSON output uses.
/// </summary>
public static class ValueText
{
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.FFFFFF";
    public const string UtcTimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'";
    public const string DateFormat = "yyyy-MM-dd";
    public const string TimeFormat = "HH:mm:ss.FFFFFF";

    /// <summary>The text of a non-null value.</summary>
    public static string Format(object value) => value switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        DateTime t => t.ToString(TimestampFormat, CultureInfo.InvariantCulture),
        DateTimeOffset t => t.UtcDateTime.ToString(UtcTimestampFormat, CultureInfo.InvariantCulture),
        DateOnly d => d.ToString(DateFormat, CultureInfo.InvariantCulture),
        TimeOnly t => t.ToString(TimeFormat, CultureInfo.InvariantCulture),
        Guid g => g.ToString("D"),
        byte[] bytes => Convert.ToBase64String(bytes),
        object?[] list => JsonValueWriter.ToJson(list),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
