using System.Globalization;
using System.Text;

namespace Weir.Query.Execution;

/// <summary>
/// The wall-clock time of <c>"timestamp"</c> in a site's time zone, as SQL that costs an addition per row: the epoch
/// microseconds plus the zone's UTC offset, with every offset change of the queried span written in as a literal.
/// DuckDB's <c>timezone(zone, ts)</c> asks ICU for every row, which took most of a report's time over millions of
/// events; and the zone rules are .NET's, the same that turn the request's local days into instants.
/// </summary>
public static class LocalTimeSql
{
    private const long MicrosPerSecond = 1_000_000;

    /// <summary>The start of the span used when a range has no start (<c>"all"</c>).</summary>
    private static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    /// <summary>
    /// A BIGINT expression: the local time of <paramref name="column"/> in <paramref name="zone"/> as microseconds
    /// since 1970-01-01T00:00 local. Exact for instants from <paramref name="from"/> (or 1970) to
    /// <paramref name="to"/>; outside that span it uses the nearest end's offset.
    /// </summary>
    public static string Micros(TimeZoneInfo zone, DateTimeOffset? from, DateTimeOffset to, string column = "\"timestamp\"")
    {
        ArgumentNullException.ThrowIfNull(zone);
        var changes = OffsetChanges(zone, from ?? Epoch, to);
        var epoch = "epoch_us(" + column + ")";
        var sql = new StringBuilder("(").Append(epoch).Append(" + ");
        if (changes.Count == 1)
        {
            return sql.Append(Number(changes[0].OffsetMicros)).Append(')').ToString();
        }

        // Newest first: most events are recent, so most rows stop at the first test.
        sql.Append("CASE");
        for (var i = changes.Count - 1; i >= 1; i--)
        {
            sql.Append(" WHEN ").Append(epoch).Append(" >= ").Append(Number(changes[i].FromMicros)).Append(" THEN ").Append(Number(changes[i].OffsetMicros));
        }

        return sql.Append(" ELSE ").Append(Number(changes[0].OffsetMicros)).Append(" END)").ToString();
    }

    /// <summary>A TIMESTAMP (without zone) expression: the local wall-clock time, for <c>date_trunc</c> and <c>strftime</c>.</summary>
    public static string Timestamp(TimeZoneInfo zone, DateTimeOffset? from, DateTimeOffset to, string column = "\"timestamp\"") =>
        "make_timestamp(" + Micros(zone, from, to, column) + ")";

    /// <summary>A DATE expression: the local calendar day.</summary>
    public static string Date(TimeZoneInfo zone, DateTimeOffset? from, DateTimeOffset to, string column = "\"timestamp\"") =>
        "CAST(" + Timestamp(zone, from, to, column) + " AS DATE)";

    /// <summary>
    /// The offsets in force over [<paramref name="from"/>, <paramref name="to"/>]: the first from the start, then one per
    /// change, each with the instant (epoch microseconds) it takes effect.
    /// </summary>
    internal static List<(long FromMicros, long OffsetMicros)> OffsetChanges(TimeZoneInfo zone, DateTimeOffset from, DateTimeOffset to)
    {
        var changes = new List<(long, long)> { (long.MinValue, OffsetAt(zone, from)) };
        // No zone changes its offset twice within 12 hours, so a step of that size finds every change; each is then
        // narrowed to the second by bisection.
        var step = TimeSpan.FromHours(12);
        var previous = from;
        var offset = changes[0].Item2;
        while (previous < to)
        {
            var next = previous + step < to ? previous + step : to;
            var nextOffset = OffsetAt(zone, next);
            if (nextOffset != offset)
            {
                var (low, high) = (previous.ToUnixTimeSeconds(), next.ToUnixTimeSeconds());
                while (high - low > 1)
                {
                    var middle = low + ((high - low) / 2);
                    if (OffsetAt(zone, DateTimeOffset.FromUnixTimeSeconds(middle)) == offset)
                    {
                        low = middle;
                    }
                    else
                    {
                        high = middle;
                    }
                }

                changes.Add((high * MicrosPerSecond, nextOffset));
                offset = nextOffset;
            }

            previous = next;
        }

        return changes;
    }

    private static long OffsetAt(TimeZoneInfo zone, DateTimeOffset instant) => zone.GetUtcOffset(instant).Ticks / TimeSpan.TicksPerMicrosecond;

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
