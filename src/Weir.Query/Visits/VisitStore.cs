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
    internal bool TryGetDays(string siteId, TimeZoneInfo zone, DateOnly? first, DateOnly last, TimeSpan timeout, out SiteVisits site, out VisitDay[] days) =>
        TryGet(siteId, zone, first, last, timeout, static site => site.Days, static version => new VisitDay(version), LoadVisits, out site, out days);

    /// <summary>
    /// Like <see cref="TryGetDays"/>, each day's session events in order per visitor (<see cref="VisitEvents"/>), for
    /// the reports that follow a visitor from event to event (funnels).
    /// </summary>
    internal bool TryGetEventDays(string siteId, TimeZoneInfo zone, DateOnly? first, DateOnly last, TimeSpan timeout, out SiteVisits site, out VisitEvents[] days) =>
        TryGet(siteId, zone, first, last, timeout, static site => site.EventDays, static version => new VisitEvents(version), LoadEvents, out site, out days);

    /// <summary>Fills <paramref name="days"/>, the local days from <paramref name="first"/> on, which span [<paramref name="from"/>, <paramref name="to"/>).</summary>
    private delegate void DayLoader<TDay>(SiteVisits site, TimeZoneInfo zone, DateOnly first, TDay[] days, DateTimeOffset from, DateTimeOffset to, TimeSpan timeout);

    private bool TryGet<TDay>(string siteId, TimeZoneInfo zone, DateOnly? first, DateOnly last, TimeSpan timeout,
        Func<SiteVisits, Dictionary<DateOnly, TDay>> cacheOf, Func<string?, TDay> create, DayLoader<TDay> load, out SiteVisits site, out TDay[] days)
        where TDay : class, ISummarisedDay
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

        days = new TDay[Math.Max(count, 0)];
        var wanted = new string?[days.Length];
        for (var i = 0; i < days.Length; i++)
        {
            wanted[i] = DayVersion(versions, first.Value.AddDays(i), zone);
        }

        var cache = cacheOf(site);
        var start = first.Value;
        lock (site)
        {
            bool Current(int i) => wanted[i] is { } version && cache.TryGetValue(start.AddDays(i), out var cached) && cached.Version == version;
            var i = 0;
            while (i < days.Length)
            {
                if (Current(i))
                {
                    days[i] = cache[start.AddDays(i)];
                    i++;
                    continue;
                }

                // A run of days to summarise, in one query.
                var end = i + 1;
                while (end < days.Length && end - i < DaysPerLoad && !Current(end))
                {
                    end++;
                }

                var loaded = new TDay[end - i];
                for (var k = 0; k < loaded.Length; k++)
                {
                    loaded[k] = create(wanted[i + k]);
                }

                load(site, zone, start.AddDays(i), loaded, StatsRequestParser.StartOfDay(start.AddDays(i), zone), StatsRequestParser.StartOfDay(start.AddDays(end), zone), timeout);
                for (var k = 0; k < loaded.Length; k++)
                {
                    days[i + k] = loaded[k];
                    if (loaded[k].Version is not null)
                    {
                        cache[start.AddDays(i + k)] = loaded[k];
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

    private void LoadVisits(SiteVisits site, TimeZoneInfo zone, DateOnly first, VisitDay[] days, DateTimeOffset from, DateTimeOffset to, TimeSpan timeout)
    {
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

        var counts = new Dictionary<int, (int Pageviews, int Events)>();
        const int Attributes = 6;
        var attributes = new DuckDbVector[VisitColumns.Count];
        Read(sql.ToString(), site, from, to, timeout, chunk =>
        {
            var date = chunk.GetVector(0);
            var visitor = chunk.GetVector(1);
            var bounce = chunk.GetVector(2);
            var duration = chunk.GetVector(3);
            var pageviews = chunk.GetVector(4);
            var events = chunk.GetVector(5);
            var lists = Attributes + VisitColumns.Count;
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
                day.Visitor.Add(site.Visitor(visitor.GetBytes(r)));
                day.Bounce.Add(bounce.GetBoolean(r));
                day.Duration.Add(duration.GetDouble(r));
                day.Pageviews.Add((int)pageviews.GetInt64(r));
                day.Events.Add((int)events.GetInt64(r));
                for (var c = 0; c < attributes.Length; c++)
                {
                    day.Attributes[c].Add(attributes[c].IsNull(r) ? -1 : site.Value(attributes[c].GetBytes(r)));
                }

                Group(site, day.PageRows, session, chunk.GetVector(lists), chunk.GetVector(lists + 1), r, counts);
                Group(site, day.NameRows, session, chunk.GetVector(lists + 2), chunk.GetVector(lists + 3), r, counts);
            }
        });

        foreach (var day in days)
        {
            day.Seal(site);
        }
    }

    /// <summary>
    /// Each local day's session events from <paramref name="first"/> on: per visitor, in the
    /// order a funnel numbers them (client time, then message id), the time, the path of a page view and the name.
    /// </summary>
    private void LoadEvents(SiteVisits site, TimeZoneInfo zone, DateOnly first, VisitEvents[] days, DateTimeOffset from, DateTimeOffset to, TimeSpan timeout)
    {
        var sql = new StringBuilder("SELECT ").Append(LocalTimeSql.Date(zone, from, to)).Append(" AS \"local_day\", ")
            .Append(SessionsSql.VisitorKeyExpression).Append(" AS \"visitor_key\", epoch_us(\"timestamp\"), ")
            .Append("CASE WHEN \"type\" = 'page' THEN \"path\" END, \"event\" FROM ").Append(source.EventsRelation)
            .Append(" WHERE \"site_id\" = $1 AND \"timestamp\" >= $2 AND \"timestamp\" < $3 AND ").Append(SessionsSql.SessionEventCondition)
            .Append(" ORDER BY \"local_day\", \"visitor_key\", \"timestamp\", \"message_id\"");

        // Rows come grouped by day and visitor: a visitor's id is looked up once per run of its rows.
        var previousKey = new byte[256];
        var previousLength = -1;
        var previousDay = -1;
        Read(sql.ToString(), site, from, to, timeout, chunk =>
        {
            var date = chunk.GetVector(0);
            var visitor = chunk.GetVector(1);
            var time = chunk.GetVector(2).GetValues<long>();
            var page = chunk.GetVector(3);
            var name = chunk.GetVector(4);
            for (var r = 0; r < chunk.RowCount; r++)
            {
                var index = date.GetDate(r).DayNumber - first.DayNumber;
                if ((uint)index >= (uint)days.Length)
                {
                    continue;
                }

                var day = days[index];
                var key = visitor.GetBytes(r);
                if (index != previousDay || !key.SequenceEqual(previousKey.AsSpan(0, previousLength)))
                {
                    day.StartVisitor(site.Visitor(key));
                    if (key.Length > previousKey.Length)
                    {
                        previousKey = new byte[key.Length * 2];
                    }

                    key.CopyTo(previousKey);
                    previousLength = key.Length;
                    previousDay = index;
                }

                day.Add(time[r], page.IsNull(r) ? -1 : site.Value(page.GetBytes(r)), name.IsNull(r) ? -1 : site.Value(name.GetBytes(r)));
            }
        });

        foreach (var day in days)
        {
            day.Seal();
        }
    }

    /// <summary>
    /// The ids of the site's pooled values that match the glob <paramref name="pattern"/>, as DuckDB's <c>GLOB</c> decides
    /// (so a funnel's page steps match exactly what its SQL matches): true at every matching id below the pool's size.
    /// Each value is tested once per pattern; later calls test only the values added since.
    /// </summary>
    internal bool[] GlobMatches(SiteVisits site, string pattern, TimeSpan timeout)
    {
        lock (site)
        {
            var count = site.ValueCount;
            if (!site.Globs.TryGetValue(pattern, out var matches))
            {
                matches = (0, []);
            }

            if (matches.Tested < count)
            {
                var found = matches.Matches;
                Array.Resize(ref found, Math.Max(count, found.Length * 2));
                using var connection = source.Connect();
                connection.Execute("CREATE TEMP TABLE \"weir_glob_values\" (\"id\" INTEGER, \"value\" VARCHAR)");
                using (var appender = connection.CreateAppender("weir_glob_values"))
                {
                    for (var id = matches.Tested; id < count; id++)
                    {
                        appender.CreateRow().Append(id).Append(site.ValueOf(id)).EndRow();
                    }
                }

                using var statement = connection.Prepare("SELECT \"id\" FROM \"weir_glob_values\" WHERE \"value\" GLOB $1");
                statement.Bind(1, pattern);
                using var result = Execute(statement, timeout);
                while (result.NextChunk() is { } chunk)
                {
                    using (chunk)
                    {
                        foreach (var id in chunk.GetVector(0).GetValues<int>())
                        {
                            found[id] = true;
                        }
                    }
                }

                matches = (count, found);
                site.Globs[pattern] = matches;
            }

            return matches.Matches;
        }
    }

    /// <summary>Runs <paramref name="sql"/> for one site and span of time, handing each chunk of its result to <paramref name="read"/>.</summary>
    private void Read(string sql, SiteVisits site, DateTimeOffset from, DateTimeOffset to, TimeSpan timeout, Action<DuckDbDataChunk> read)
    {
        using var connection = source.Connect();
        using var statement = connection.Prepare(sql);
        statement.Bind(1, site.SiteId).Bind(2, from).Bind(3, to);
        using var result = Execute(statement, timeout);
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                read(chunk);
            }
        }
    }

    private static DuckDbResult Execute(DuckDbPreparedStatement statement, TimeSpan timeout)
    {
        try
        {
            return statement.Execute(timeout);
        }
        catch (DuckDbException e)
        {
            // As the SQL path reports its failures (a time limit reached, memory exhausted): the report's error.
            throw new QueryRequestException("", e.Message);
        }
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
internal sealed class SiteVisits
{
    private readonly Dictionary<string, int> _visitorIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _valueIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _visitorLookup;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _valueLookup;
    private char[] _decoded = new char[256];
    private int[] _valueSlots = [];
    private int[] _visitorStamps = [];
    private volatile string[] _values = new string[64];
    private int _valueCount;

    public SiteVisits(string siteId)
    {
        SiteId = siteId;
        _visitorLookup = _visitorIds.GetAlternateLookup<ReadOnlySpan<char>>();
        _valueLookup = _valueIds.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string SiteId { get; }

    public Dictionary<DateOnly, VisitDay> Days { get; } = [];

    public Dictionary<DateOnly, VisitEvents> EventDays { get; } = [];

    /// <summary>Per glob pattern, how many values have been tested and which matched (<see cref="VisitStore.GlobMatches"/>).</summary>
    public Dictionary<string, (int Tested, bool[] Matches)> Globs { get; } = new(StringComparer.Ordinal);

    /// <summary>How many visitor ids there are: every id is below it.</summary>
    public int VisitorCount => _visitorIds.Count;

    /// <summary>How many value ids there are: every id is below it.</summary>
    public int ValueCount => Volatile.Read(ref _valueCount);

    public string ValueOf(int id) => _values[id];

    /// <summary>Scratch for grouping by value: an entry per value id + 1, all -1, to be left so. Under the lock.</summary>
    public int[] ValueSlots()
    {
        if (_valueSlots.Length < ValueCount + 1)
        {
            _valueSlots = new int[Math.Max(ValueCount + 1, _valueSlots.Length * 2)];
            _valueSlots.AsSpan().Fill(-1);
        }

        return _valueSlots;
    }

    /// <summary>Scratch for distinct visitors: an entry per visitor id, all 0, to be left so. Under the lock.</summary>
    public int[] VisitorStamps()
    {
        if (_visitorStamps.Length < VisitorCount)
        {
            _visitorStamps = new int[Math.Max(VisitorCount, _visitorStamps.Length * 2)];
        }

        return _visitorStamps;
    }

    /// <summary>The id of a value already pooled; false when no day holds it. Call under the lock.</summary>
    public bool TryGetValueId(string value, out int id) => _valueIds.TryGetValue(value, out id);

    /// <summary>The id of the visitor whose key is the UTF-8 <paramref name="key"/>; a string is made only for a new one.</summary>
    public int Visitor(ReadOnlySpan<byte> key)
    {
        var chars = Decode(key);
        if (!_visitorLookup.TryGetValue(chars, out var id))
        {
            id = _visitorIds.Count;
            _visitorIds.Add(chars.ToString(), id);
        }

        return id;
    }

    /// <summary>The id of the UTF-8 <paramref name="value"/>; a string is made only for a new one.</summary>
    public int Value(ReadOnlySpan<byte> value)
    {
        var chars = Decode(value);
        return _valueLookup.TryGetValue(chars, out var id) ? id : Add(chars.ToString());
    }

    public int Value(string value) => _valueIds.TryGetValue(value, out var id) ? id : Add(value);

    private int Add(string value)
    {
        var id = _valueIds.Count;
        if (id == _values.Length)
        {
            var grown = new string[id * 2];
            _values.CopyTo(grown, 0);
            _values = grown;
        }

        _values[id] = value;
        _valueIds.Add(value, id);
        Volatile.Write(ref _valueCount, id + 1);
        return id;
    }

    private ReadOnlySpan<char> Decode(ReadOnlySpan<byte> utf8)
    {
        var most = Encoding.UTF8.GetMaxCharCount(utf8.Length);
        if (most > _decoded.Length)
        {
            _decoded = new char[most];
        }

        return _decoded.AsSpan(0, Encoding.UTF8.GetChars(utf8, _decoded));
    }
}
