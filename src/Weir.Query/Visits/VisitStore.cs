using System.Collections.Concurrent;
using System.Text;
using Weir.DuckDb;
using Weir.Query.Execution;
using Weir.Query.Sessions;
using Weir.Query.Stats;

namespace Weir.Query.Visits;

/// <summary>
/// Each site's sessions, summarised per local day (<see cref="VisitDay"/>) and kept in memory while the day's
/// partitions keep their version, so that a dashboard's reports read a summary instead of sessionising millions of
/// events each time. Sessions end at the site's midnight, so a day's summary depends on that day's events alone; a day
/// whose partitions change (a flush, compaction, erasure) is summarised again, and a day with rows still in the hot
/// table is summarised afresh for every report and not kept.
/// </summary>
public sealed class VisitStore(IQuerySource source)
{
    /// <summary>Beyond this many days a report reads the events instead (an <c>all</c> range over decades of data).</summary>
    private const int MaxDays = 3 * 366;

    /// <summary>
    /// At most this many days are summarised by one query, so that each stays well within a report's time limit on a
    /// large site (a day of a 100M-event demo site is about 1.1M events).
    /// </summary>
    private const int DaysPerLoad = 2;

    private readonly ConcurrentDictionary<string, SiteVisits> _sites = new(StringComparer.Ordinal);

    /// <summary>
    /// The summaries of <paramref name="siteId"/>'s local days from <paramref name="first"/> (the first day with events
    /// when null) to <paramref name="last"/>; false when the source cannot version its partitions or the span is too long.
    /// </summary>
    internal bool TryGetDays(string siteId, TimeZoneInfo zone, DateOnly? first, DateOnly last, TimeSpan timeout, out SiteVisits site, out VisitDay[] days)
    {
        site = _sites.GetOrAdd(siteId + "\u0000" + zone.Id, static (_, id) => new SiteVisits(id), siteId);
        days = [];
        var versions = source.PartitionVersions(siteId);
        if (versions is null)
        {
            return false;
        }

        if (first is null)
        {
            // A UTC date's events fall on that local day or a neighbour.
            first = versions.Count == 0 ? last : versions.Keys.Min().AddDays(-1);
        }

        var count = last.DayNumber - first.Value.DayNumber + 1;
        if (count > MaxDays)
        {
            return false;
        }

        days = new VisitDay[Math.Max(count, 0)];
        var wanted = new string?[days.Length];
        for (var i = 0; i < days.Length; i++)
        {
            wanted[i] = DayVersion(versions, first.Value.AddDays(i), zone);
        }

        var cache = site.Days;
        var start = first.Value;
        lock (site)
        {
            bool Current(int i) => wanted[i] is { } version && cache.TryGetValue(start.AddDays(i), out var cached) && cached.Version == version;
            var i = 0;
            while (i < days.Length)
            {
                if (Current(i))
                {
                    days[i] = site.Days[first.Value.AddDays(i)];
                    i++;
                    continue;
                }

                // A run of days to summarise, in one query.
                var end = i + 1;
                while (end < days.Length && end - i < DaysPerLoad && !Current(end))
                {
                    end++;
                }

                var loaded = Load(site, zone, first.Value.AddDays(i), first.Value.AddDays(end - 1), wanted.AsSpan(i, end - i), timeout);
                for (var k = 0; k < loaded.Length; k++)
                {
                    days[i + k] = loaded[k];
                    if (loaded[k].Version is not null)
                    {
                        site.Days[first.Value.AddDays(i + k)] = loaded[k];
                    }
                }

                i = end;
            }
        }

        return true;
    }

    /// <summary>The version of a local day: those of the UTC dates it overlaps, or null when one of them is still changing.</summary>
    private static string? DayVersion(IReadOnlyDictionary<DateOnly, string?> versions, DateOnly day, TimeZoneInfo zone)
    {
        var start = StatsRequestParser.StartOfDay(day, zone);
        var end = StatsRequestParser.StartOfDay(day.AddDays(1), zone).AddTicks(-1);
        var version = new StringBuilder();
        for (var date = DateOnly.FromDateTime(start.UtcDateTime); date <= DateOnly.FromDateTime(end.UtcDateTime); date = date.AddDays(1))
        {
            if (!versions.TryGetValue(date, out var partition))
            {
                version.Append("-;");
            }
            else if (partition is null)
            {
                return null;
            }
            else
            {
                version.Append(partition).Append(';');
            }
        }

        return version.ToString();
    }

    private VisitDay[] Load(SiteVisits site, TimeZoneInfo zone, DateOnly first, DateOnly last, ReadOnlySpan<string?> versions, TimeSpan timeout)
    {
        var days = new VisitDay[last.DayNumber - first.DayNumber + 1];
        for (var i = 0; i < days.Length; i++)
        {
            days[i] = new VisitDay(versions[i]);
        }

        var from = StatsRequestParser.StartOfDay(first, zone);
        var to = StatsRequestParser.StartOfDay(last.AddDays(1), zone);
        var sql = new StringBuilder("WITH \"site_events\" AS (SELECT * FROM ").Append(source.EventsRelation)
            .Append(" WHERE \"site_id\" = $1 AND \"timestamp\" >= $2 AND \"timestamp\" < $3), ")
            .Append("\"tagged\" AS (").Append(SessionsSql.SessionisedEvents("\"site_events\"", LocalTimeSql.Date(zone, from, to))).Append(") ")
            .Append("SELECT \"start_date\", \"visitor_key\", \"is_bounce\", \"duration_seconds\", \"pageviews\", \"events\"");
        foreach (var column in VisitColumns.All)
        {
            sql.Append(", ").Append(DuckDb.Sql.Identifier(column));
        }

        sql.Append(", \"paths\", \"page_paths\", \"names\", \"page_names\" FROM (")
            .Append(SessionsSql.Select("\"tagged\"", ", list(\"path\") AS \"paths\", list(\"path\") FILTER (WHERE \"type\" = 'page') AS \"page_paths\", "
                + "list(\"event\") AS \"names\", list(\"event\") FILTER (WHERE \"type\" = 'page') AS \"page_names\""))
            .Append(')');

        using var connection = source.Connect();
        using var statement = connection.Prepare(sql.ToString());
        statement.Bind(1, site.SiteId).Bind(2, from).Bind(3, to);
        DuckDbResult result;
        try
        {
            result = statement.Execute(timeout);
        }
        catch (DuckDbException e)
        {
            // As the SQL path reports its failures (a time limit reached, memory exhausted): the report's error.
            throw new QueryRequestException("", e.Message);
        }

        using var owned = result;
        var counts = new Dictionary<int, (int Pageviews, int Events)>();
        const int Attributes = 6;
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                var date = chunk.GetVector(0);
                var visitor = chunk.GetVector(1);
                var bounce = chunk.GetVector(2);
                var duration = chunk.GetVector(3);
                var pageviews = chunk.GetVector(4);
                var events = chunk.GetVector(5);
                var lists = Attributes + VisitColumns.Count;
                var attributes = new DuckDbVector[VisitColumns.Count];
                for (var c = 0; c < attributes.Length; c++)
                {
                    attributes[c] = chunk.GetVector(Attributes + c);
                }

                for (var r = 0; r < chunk.RowCount; r++)
                {
                    var index = date.GetDate(r).DayNumber - first.DayNumber;
                    if ((uint)index >= (uint)days.Length)
                    {
                        continue;
                    }

                    var day = days[index];
                    var session = day.Count;
                    day.Visitor.Add(site.Visitor(visitor.GetString(r)));
                    day.Bounce.Add(bounce.GetBoolean(r));
                    day.Duration.Add(duration.GetDouble(r));
                    day.Pageviews.Add((int)pageviews.GetInt64(r));
                    day.Events.Add((int)events.GetInt64(r));
                    for (var c = 0; c < attributes.Length; c++)
                    {
                        day.Attributes[c].Add(attributes[c].IsNull(r) ? -1 : site.Value(attributes[c].GetString(r)));
                    }

                    Group(site, day.Pages, session, chunk.GetVector(lists), chunk.GetVector(lists + 1), r, counts);
                    Group(site, day.Names, session, chunk.GetVector(lists + 2), chunk.GetVector(lists + 3), r, counts);
                }
            }
        }

        foreach (var day in days)
        {
            day.TrimExcess();
        }

        return days;
    }

    /// <summary>Counts a session's values (all its events, and its page views) into one row per distinct value.</summary>
    private static void Group(SiteVisits site, SessionGroups groups, int session, DuckDbVector all, DuckDbVector pages, int row, Dictionary<int, (int Pageviews, int Events)> counts)
    {
        counts.Clear();
        if (all.IsValid(row))
        {
            foreach (var value in all.GetStringList(row))
            {
                var id = value is null ? -1 : site.Value(value);
                counts[id] = counts.TryGetValue(id, out var c) ? (c.Pageviews, c.Events + 1) : (0, 1);
            }
        }

        if (pages.IsValid(row))
        {
            foreach (var value in pages.GetStringList(row))
            {
                var id = value is null ? -1 : site.Value(value);
                var c = counts[id];
                counts[id] = (c.Pageviews + 1, c.Events);
            }
        }

        foreach (var (id, c) in counts)
        {
            groups.Add(session, id, c.Pageviews, c.Events);
        }
    }
}

/// <summary>One site's summarised days and the pools their ids point into. Locked while days are loaded.</summary>
internal sealed class SiteVisits(string siteId)
{
    private readonly Dictionary<string, int> _visitorIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _valueIds = new(StringComparer.Ordinal);
    private volatile string[] _values = new string[64];
    private int _valueCount;

    public string SiteId { get; } = siteId;

    public Dictionary<DateOnly, VisitDay> Days { get; } = [];

    /// <summary>How many visitor ids there are: every id is below it.</summary>
    public int VisitorCount => _visitorIds.Count;

    /// <summary>How many value ids there are: every id is below it.</summary>
    public int ValueCount => Volatile.Read(ref _valueCount);

    public string ValueOf(int id) => _values[id];

    public int Visitor(string key)
    {
        if (!_visitorIds.TryGetValue(key, out var id))
        {
            id = _visitorIds.Count;
            _visitorIds.Add(key, id);
        }

        return id;
    }

    public int Value(string value)
    {
        if (!_valueIds.TryGetValue(value, out var id))
        {
            id = _valueIds.Count;
            if (id == _values.Length)
            {
                var grown = new string[id * 2];
                _values.CopyTo(grown, 0);
                _values = grown;
            }

            _values[id] = value;
            _valueIds.Add(value, id);
            Volatile.Write(ref _valueCount, id + 1);
        }

        return id;
    }
}
