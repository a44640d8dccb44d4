using System.Text;

namespace Weir.Query.Sessions;

/// <summary>
/// Sessions as SQL over any relation with the columns of <c>events</c>: a visitor's events in order of their client
/// <c>timestamp</c>, cut wherever 30 minutes pass without one and at midnight in the site's time zone. Because the order is the client time's, not the order
/// of arrival, the sessions are the same however late, shuffled or re-sent the events arrived.
/// </summary>
/// <remarks>
/// <para>
/// The visitor is <c>coalesce(anonymous_id, user_id, visitor_id)</c>: a Segment client's device id first, so that
/// logging in half-way through does not cut a session; then the user id; then the cookieless hash. Only page, screen
/// and track events form sessions, and never a bot's (<c>is_bot</c>); identify, group and alias calls describe a person
/// rather than a visit. Ties in time are broken by <c>message_id</c>, so entry and exit pages are deterministic.
/// </para>
/// <para>
/// The cut at midnight (as Universal Analytics made it) puts each visit in one day of the site's reports, so that the
/// visits of the days add up to the visits of the range, and it makes a day's sessions depend on that day's events
/// alone: a report sessionises only the events of its range, not every event the site ever had.
/// </para>
/// <para>
/// A session's visit attributes (source, referrer, UTM tags, geography, device) are its first event's. Its entry and
/// exit pages are the paths of its first and last page views. It is a bounce when it is a single page view and
/// nothing else. Its duration is the time from its first event to its last.
/// </para>
/// </remarks>
public static class SessionsSql
{
    /// <summary>The inactivity that ends a session.</summary>
    public static readonly TimeSpan InactivityGap = TimeSpan.FromMinutes(30);

    /// <summary>The expression that names the visitor a session belongs to.</summary>
    public const string VisitorKeyExpression = "coalesce(\"anonymous_id\", \"user_id\", \"visitor_id\")";

    /// <summary>The condition an event must meet to belong to a session.</summary>
    public const string SessionEventCondition =
        "\"type\" IN ('page', 'screen', 'track') AND \"is_bot\" IS NOT TRUE AND " + VisitorKeyExpression + " IS NOT NULL";

    /// <summary>The visit attributes a session takes from its first event, in the order <see cref="Select"/> lists them.</summary>
    public static IReadOnlyList<string> EntryAttributes { get; } =
    [
        "host", "referrer", "referrer_host", "source", "utm_source", "utm_medium", "utm_campaign", "utm_term",
        "utm_content", "country", "region", "city", "browser", "browser_version", "os", "os_version", "device_type",
        "screen_width", "screen_height", "locale",
    ];

    /// <summary>
    /// Every session event of <paramref name="events"/> with three more columns: <c>visitor_key</c>, <c>local_day</c>
    /// (the value of <paramref name="localDay"/>) and <c>session_seq</c>, the session's number among the visitor's
    /// (1 for the first). <c>site_id</c>, <c>visitor_key</c> and <c>session_seq</c> identify the session.
    /// </summary>
    /// <param name="events">A relation with the columns of <c>events</c>, as SQL (a name or a parenthesised query).</param>
    /// <param name="localDay">
    /// An expression over the relation's columns for the event's day in its site's time zone (see
    /// <see cref="Execution.LocalTimeSql"/>): a session never spans two of them.
    /// </param>
    public static string SessionisedEvents(string events, string localDay)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(events);
        ArgumentException.ThrowIfNullOrWhiteSpace(localDay);
        var gapMicros = (long)(InactivityGap.Ticks / TimeSpan.TicksPerMicrosecond);
        return new StringBuilder()
            .Append("SELECT * EXCLUDE (\"session_starts\"), CAST(sum(\"session_starts\") OVER (PARTITION BY \"site_id\", \"visitor_key\" ORDER BY \"timestamp\", \"message_id\" ")
            .Append("ROWS UNBOUNDED PRECEDING) AS BIGINT) AS \"session_seq\" FROM (SELECT *, CASE WHEN epoch_us(\"timestamp\") - ")
            .Append("epoch_us(lag(\"timestamp\") OVER \"by_visitor\") <= ").Append(gapMicros)
            .Append(" AND lag(\"local_day\") OVER \"by_visitor\" = \"local_day\" THEN 0 ELSE 1 END AS \"session_starts\" FROM (SELECT *, ")
            .Append(VisitorKeyExpression).Append(" AS \"visitor_key\", ").Append(localDay).Append(" AS \"local_day\" FROM ").Append(events)
            .Append(" WHERE ").Append(SessionEventCondition).Append(") WINDOW \"by_visitor\" AS (PARTITION BY \"site_id\", \"visitor_key\" ORDER BY \"timestamp\", \"message_id\"))")
            .ToString();
    }

    /// <summary>
    /// One row per session of <paramref name="sessionisedEvents"/> (a relation: a name, or <see cref="SessionisedEvents"/> in parentheses):
    /// <c>site_id, visitor_key, session_seq, session_id, session_start, session_end, start_date, duration_seconds,
    /// pageviews, events, entry_page, exit_page, is_bounce</c>, then <see cref="EntryAttributes"/>.
    /// </summary>
    /// <param name="sessionisedEvents">The relation.</param>
    /// <param name="moreAggregates">More aggregates per session, as SQL after a comma (", list(\"path\") AS \"paths\"").</param>
    public static string Select(string sessionisedEvents, string moreAggregates = "")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionisedEvents);
        const string Order = "(\"timestamp\", \"message_id\")";
        var sql = new StringBuilder("SELECT \"site_id\", \"visitor_key\", \"session_seq\", ")
            .Append("\"visitor_key\" || '/' || CAST(epoch_us(min(\"timestamp\")) AS VARCHAR) AS \"session_id\", ")
            .Append("min(\"timestamp\") AS \"session_start\", max(\"timestamp\") AS \"session_end\", ")
            .Append("any_value(\"local_day\") AS \"start_date\", ")
            .Append("(epoch_us(max(\"timestamp\")) - epoch_us(min(\"timestamp\"))) / 1000000.0 AS \"duration_seconds\", ")
            .Append("count(*) FILTER (WHERE \"type\" = 'page') AS \"pageviews\", count(*) AS \"events\", ")
            .Append("arg_min(\"path\", ").Append(Order).Append(") FILTER (WHERE \"type\" = 'page') AS \"entry_page\", ")
            .Append("arg_max(\"path\", ").Append(Order).Append(") FILTER (WHERE \"type\" = 'page') AS \"exit_page\", ")
            .Append("count(*) = 1 AND count(*) FILTER (WHERE \"type\" = 'page') = 1 AS \"is_bounce\"");
        foreach (var attribute in EntryAttributes)
        {
            sql.Append(", arg_min_null(\"").Append(attribute).Append("\", ").Append(Order).Append(") AS \"").Append(attribute).Append('"');
        }

        return sql.Append(moreAggregates).Append(" FROM ").Append(sessionisedEvents).Append(" GROUP BY \"site_id\", \"visitor_key\", \"session_seq\"").ToString();
    }

    /// <summary>The sessions of <paramref name="events"/>: <see cref="Select"/> over <see cref="SessionisedEvents"/>.</summary>
    public static string Of(string events, string localDay) => Select("(" + SessionisedEvents(events, localDay) + ")");
}
