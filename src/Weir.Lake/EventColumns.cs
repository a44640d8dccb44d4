namespace Weir.Lake;

/// <summary>The DuckDB type of a lake column.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "The members are DuckDB's SQL type names.")]
public enum ColumnType
{
    Varchar,
    TimestampTz,
    Integer,
    Boolean,
    Json,

    /// <summary>
    /// Only in the hot table, never in <c>events</c>: the enrichment's dimension ids and visitor hash, one STRUCT
    /// (<see cref="Hot.HotTable.EnrichmentSqlType"/>).
    /// </summary>
    HotEnrichment,
}

/// <summary>One column of the table <c>events</c>: its name (a contract, see DESIGN.md) and type.</summary>
public readonly record struct EventColumn(string Name, ColumnType Type)
{
    /// <summary>The type as DuckDB spells it in DDL.</summary>
    public string SqlType => Type switch
    {
        ColumnType.Varchar => "VARCHAR",
        ColumnType.TimestampTz => "TIMESTAMPTZ",
        ColumnType.Integer => "INTEGER",
        ColumnType.Boolean => "BOOLEAN",
        ColumnType.Json => "JSON",
        ColumnType.HotEnrichment => Hot.HotTable.EnrichmentSqlType,
        _ => throw new ArgumentOutOfRangeException(nameof(Type)),
    };
}

/// <summary>
/// The columns SQL users see in <c>events</c>, in order: the contract's columns first (Segment's warehouse names),
/// then <c>name</c>, <c>group_id</c> and <c>previous_id</c>, which the canonical record also carries.
/// </summary>
/// <remarks>
/// <c>site_id</c> is a column of the view and of the hot table, but not inside the Parquet files: there it is the
/// Hive partition folder (<c>site_id=…/event_date=…</c>), as Hive-compatible readers expect. The enrichment columns
/// (visitor, session, referrer, UTM, geo, device, bot) are null until the loader's enrichment fills them.
/// </remarks>
public static class EventColumns
{
    /// <summary>The hot table's extra column: the record's position in the log, never shown in <c>events</c>.</summary>
    public const string LogPosition = "log_position";

    /// <summary>The partition column derived from <c>timestamp</c> (its UTC date), in folder names only.</summary>
    public const string EventDate = "event_date";

    public const string SiteId = "site_id";

    public static IReadOnlyList<EventColumn> All { get; } =
    [
        new("message_id", ColumnType.Varchar),
        new("site_id", ColumnType.Varchar),
        new("type", ColumnType.Varchar),
        new("event", ColumnType.Varchar),
        new("user_id", ColumnType.Varchar),
        new("anonymous_id", ColumnType.Varchar),
        new("visitor_id", ColumnType.Varchar),
        new("session_id", ColumnType.Varchar),
        new("timestamp", ColumnType.TimestampTz),
        new("original_timestamp", ColumnType.TimestampTz),
        new("sent_at", ColumnType.TimestampTz),
        new("received_at", ColumnType.TimestampTz),
        new("url", ColumnType.Varchar),
        new("host", ColumnType.Varchar),
        new("path", ColumnType.Varchar),
        new("query", ColumnType.Varchar),
        new("title", ColumnType.Varchar),
        new("referrer", ColumnType.Varchar),
        new("referrer_host", ColumnType.Varchar),
        new("source", ColumnType.Varchar),
        new("utm_source", ColumnType.Varchar),
        new("utm_medium", ColumnType.Varchar),
        new("utm_campaign", ColumnType.Varchar),
        new("utm_term", ColumnType.Varchar),
        new("utm_content", ColumnType.Varchar),
        new("country", ColumnType.Varchar),
        new("region", ColumnType.Varchar),
        new("city", ColumnType.Varchar),
        new("browser", ColumnType.Varchar),
        new("browser_version", ColumnType.Varchar),
        new("os", ColumnType.Varchar),
        new("os_version", ColumnType.Varchar),
        new("device_type", ColumnType.Varchar),
        new("screen_width", ColumnType.Integer),
        new("screen_height", ColumnType.Integer),
        new("locale", ColumnType.Varchar),
        new("is_bot", ColumnType.Boolean),
        new("properties", ColumnType.Json),
        new("traits", ColumnType.Json),
        new("context", ColumnType.Json),
        new("library", ColumnType.Varchar),
        new("protocol", ColumnType.Varchar),
        new("name", ColumnType.Varchar),
        new("group_id", ColumnType.Varchar),
        new("previous_id", ColumnType.Varchar),
    ];

    /// <summary>The index of a column in <see cref="All"/>; -1 when there is none of that name.</summary>
    public static int IndexOf(string name)
    {
        for (var i = 0; i < All.Count; i++)
        {
            if (All[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }
}
