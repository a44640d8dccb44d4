using System.Globalization;
using Weir.DuckDb;
using Weir.Lake;

namespace Weir.Demo;

/// <summary>
/// Generates one share of the demo traffic (part <c>k</c> of <c>n</c>: its own visitors, its own random sequence)
/// into appenders on staging tables with the columns of <see cref="EventColumns.All"/>. Visitors arrive following the
/// daily and weekly cycles, some come back over the following weeks; each session has a channel (search, social,
/// email, paid, direct), a geometric number of pages of Zipf-like popularity, and sometimes the signup funnel or a
/// custom event. Every string comes from <see cref="DemoCatalog"/> or a reused buffer: an event allocates nothing.
/// </summary>
/// <remarks>
/// A visitor's sessions spread over weeks, so the share is not made in time order. To write it a time range at a
/// time without holding all of it, <see cref="Plan"/> first runs the whole share without writing anything and keeps,
/// per visitor, where the random sequence stood and the time span of its events; <see cref="Generate"/> then runs
/// again only the visitors whose span meets the range, from those points, and writes the events inside it. A run
/// draws the same numbers however it is cut into ranges, so the events do not depend on the cut.
/// </remarks>
public sealed class DemoTrafficGenerator
{
    private const double ContinueSession = 0.72;
    private const double ReturnAgain = 0.42;
    private const double PricingToSignup = 0.35;
    private const double SignupCompleted = 0.5;
    private const double PurchaseAfterSignup = 0.4;
    private const double CustomEventChance = 0.05;
    private const int ProgressEvery = 4096;
    private const string Library = "weir-demo/1";
    private const string Protocol = "tracker";

    private static readonly TimeSpan ReturnGapMean = TimeSpan.FromDays(7);
    private static readonly double MaxWeight = 1.05 * 1.0 * 1.2;

    private readonly DemoTrafficOptions _options;
    private readonly string[] _urls;
    private readonly ulong _idSeed;
    private readonly DateTimeOffset _start;
    private readonly DateTimeOffset _end;
    private readonly double _spanSeconds;
    private readonly char[] _messageId = new char[32];
    private readonly char[] _visitorId = new char[16];
    private readonly char[] _url = new char[512];
    private readonly char[] _properties = new char[256];
    private readonly DateTimeOffset _recentFrom;
    private readonly List<VisitorStart> _starts = [];
    private DemoRandom _random;
    private DuckDbAppender? _events;
    private DuckDbAppender? _recent;
    private DemoProgress? _progress;
    private bool _planning;
    private long _fromTicks;
    private long _toTicks;
    private long _firstTicks;
    private long _lastTicks;
    private long _written;
    private long _sinceProgress;
    private long _generatedInRange;
    private long _visitors;

    // The visitor's fixed attributes.
    private int _country;
    private int _place;
    private int _device;
    private int _software;
    private int _screen;
    private int _browserVersion;
    private int _osVersion;

    // The session's channel, and the event being written.
    private int _channel;
    private string? _campaignQuery;
    private int _campaign;
    private bool _landing;
    private int _previousPage;
    private int _page;
    private string _type = "page";
    private string _event = "pageview";
    private int _propertiesLength;

    /// <param name="options">The traffic; the share of this part is its events divided by <paramref name="parts"/>.</param>
    /// <param name="part">Which share, from 0.</param>
    /// <param name="parts">How many shares (threads) the traffic is split into.</param>
    public DemoTrafficGenerator(DemoTrafficOptions options, int part, int parts)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(part, parts);
        _options = options;
        Events = options.Events / parts + (part < options.Events % parts ? 1 : 0);
        _idSeed = DemoRandom.Mix(options.Seed) ^ ((ulong)part << 56);
        _random = new DemoRandom(DemoRandom.Mix(options.Seed + (ulong)part * 0x632BE59BD9B4E019UL));
        _end = options.End;
        _start = options.End.AddDays(-options.Days);
        _spanSeconds = (_end - _start).TotalSeconds;
        _recentFrom = options.End - options.RecentWindow;
        _urls = Array.ConvertAll(DemoCatalog.Paths, path => "https://" + options.Host + path);
    }

    /// <summary>The distinct events this part generates.</summary>
    public long Events { get; }

    /// <summary>Events the client sent days after they happened (received_at days after timestamp); set by <see cref="Plan"/>.</summary>
    public long LateEvents { get; private set; }

    /// <summary>Second copies of events (same message id, received again later); set by <see cref="Plan"/>.</summary>
    public long Duplicates { get; private set; }

    /// <summary>
    /// The second copies received before <see cref="DemoTrafficOptions.RecentWindow"/>: never written, as the lake's
    /// compaction would long since have dropped them; set by <see cref="Plan"/>.
    /// </summary>
    public long DuplicatesDropped { get; private set; }

    /// <summary>Visitors this part made up.</summary>
    public long Visitors => _visitors;

    /// <summary>
    /// Runs the whole share without writing it: counts the late events and duplicates, and notes for each visitor what
    /// <see cref="Generate"/> needs to make its events again. Call once, before <see cref="Generate"/>.
    /// </summary>
    public void Plan(CancellationToken cancellationToken = default)
    {
        if (_planning || _starts.Count > 0)
        {
            throw new InvalidOperationException("A generator plans once.");
        }

        _planning = true;
        try
        {
            while (_written < Events)
            {
                if ((_visitors & 4095) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                var state = _random.State;
                var written = _written;
                _firstTicks = long.MaxValue;
                _lastTicks = long.MinValue;
                Visitor(long.MaxValue);
                _starts.Add(new VisitorStart(state, written, Seconds(_firstTicks, ceiling: false), Seconds(_lastTicks, ceiling: true)));
            }
        }
        finally
        {
            _planning = false;
        }
    }

    /// <summary>
    /// Appends this part's events whose <c>timestamp</c> is in [<paramref name="from"/>, <paramref name="to"/>): to
    /// <paramref name="events"/>, except late events and second copies received within
    /// <see cref="DemoTrafficOptions.RecentWindow"/> of the end, which go to <paramref name="recent"/> (both on
    /// staging tables of <see cref="Lake.Lake.CreateImportTable"/>). Does not close them. Returns the events written
    /// to <paramref name="events"/> and <paramref name="recent"/>, second copies not counted.
    /// </summary>
    public long Generate(DateTimeOffset from, DateTimeOffset to, DuckDbAppender events, DuckDbAppender recent, DemoProgress? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(recent);
        if (events.ColumnCount != EventColumns.All.Count || recent.ColumnCount != EventColumns.All.Count)
        {
            throw new ArgumentException($"The appenders must be on tables with the {EventColumns.All.Count} columns of the events contract.");
        }

        if (_written < Events && _starts.Count == 0)
        {
            throw new InvalidOperationException("Plan the share before generating it.");
        }

        _events = events;
        _recent = recent;
        _progress = progress;
        _fromTicks = from.UtcTicks;
        _toTicks = to.UtcTicks;
        var fromSecond = Seconds(_fromTicks, ceiling: false);
        var toSecond = Seconds(_toTicks, ceiling: true);
        _generatedInRange = 0;
        var starts = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_starts);
        for (var i = 0; i < starts.Length; i++)
        {
            ref readonly var start = ref starts[i];
            if (start.FirstSecond >= toSecond || start.LastSecond < fromSecond)
            {
                continue;
            }

            if ((i & 4095) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            _random = DemoRandom.FromState(start.RandomState);
            _written = start.Written;
            _visitors = i;
            Visitor(_toTicks);
        }

        _visitors = starts.Length;
        progress?.AddGenerated(_sinceProgress);
        _sinceProgress = 0;
        _events = null;
        _recent = null;
        return _generatedInRange;
    }

    /// <summary>One visitor: its attributes, its first visit, and its return visits that start before <paramref name="untilTicks"/>.</summary>
    private void Visitor(long untilTicks)
    {
        NewVisitor();
        DateTimeOffset? start = SampleStart();
        for (var session = 0; start is { } sessionStart && sessionStart.UtcTicks < untilTicks && _written < Events; session++)
        {
            var last = Session(sessionStart, returning: session > 0);
            start = _random.Chance(ReturnAgain) ? NextVisit(last) : null;
        }
    }

    /// <summary>Whole seconds since the start of the traffic, rounded down or up; the extremes stand for an empty span.</summary>
    private int Seconds(long ticks, bool ceiling)
    {
        if (ticks is long.MaxValue or long.MinValue)
        {
            return ticks == long.MaxValue ? int.MaxValue : int.MinValue;
        }

        var seconds = Math.DivRem(ticks - _start.UtcTicks, TimeSpan.TicksPerSecond, out var rest);
        seconds += ceiling && rest > 0 ? 1 : !ceiling && rest < 0 ? -1 : 0;
        return (int)Math.Clamp(seconds, int.MinValue, int.MaxValue);
    }

    private void NewVisitor()
    {
        var id = DemoRandom.Mix(_idSeed ^ 0x5555_0000_0000_0000UL ^ (ulong)_visitors++);
        id.TryFormat(_visitorId, out _, "x16", CultureInfo.InvariantCulture);
        _country = _random.Pick(DemoCatalog.CountryCumulative);
        var places = DemoCatalog.Countries[_country].Places;
        _place = places.Length > 0 && _random.Chance(0.8) ? _random.Next(places.Length) : -1;
        _device = _random.Pick(DemoCatalog.DeviceCumulative);
        _software = _random.Pick(DemoCatalog.SoftwareCumulative[_device]);
        _screen = _random.Next(DemoCatalog.Devices[_device].Screens.Length);
        _browserVersion = _random.Next(DemoCatalog.BrowserVersions.Length);
        _osVersion = _random.Next(DemoCatalog.OsVersions.Length);
    }

    /// <summary>A first visit: uniform over the period, thinned by the daily and weekly cycles and a slow growth.</summary>
    private DateTimeOffset SampleStart()
    {
        while (true)
        {
            var t = _start.AddSeconds(_random.NextDouble() * _spanSeconds);
            if (_random.NextDouble() * MaxWeight < Weight(t))
            {
                return t;
            }
        }
    }

    /// <summary>The next visit of a returning visitor, days or weeks later, at a likely hour; null past the end.</summary>
    private DateTimeOffset? NextVisit(DateTimeOffset after)
    {
        var t = after + TimeSpan.FromSeconds(1800 + _random.Exponential(ReturnGapMean.TotalSeconds));
        for (var tries = 0; tries < 24 && t < _end; tries++)
        {
            if (_random.NextDouble() * MaxWeight < Weight(t))
            {
                return t;
            }

            t = t.AddSeconds(_random.NextDouble() * 6 * 3600);
        }

        return null;
    }

    private double Weight(DateTimeOffset t)
    {
        var local = t.UtcDateTime.AddHours(DemoCatalog.Countries[_country].UtcOffsetHours);
        var growth = 0.8 + 0.4 * ((t - _start).TotalSeconds / _spanSeconds);
        return DemoCatalog.HourWeights[local.Hour] * DemoCatalog.DayWeights[(int)local.DayOfWeek] * growth;
    }

    /// <summary>Writes one session from <paramref name="t"/>; returns when it ended.</summary>
    private DateTimeOffset Session(DateTimeOffset t, bool returning)
    {
        _channel = _random.Pick(returning ? DemoCatalog.ReturningChannelCumulative : DemoCatalog.ChannelCumulative);
        var campaigns = DemoCatalog.CampaignQueries[_channel];
        _campaign = campaigns.Length > 0 ? _random.Next(campaigns.Length) : -1;
        _campaignQuery = _campaign >= 0 ? campaigns[_campaign] : null;
        _landing = true;
        _previousPage = -1;
        _page = _random.Pick(DemoCatalog.PathCumulative);
        while (true)
        {
            if (!Page(t))
            {
                return t;
            }

            _landing = false;
            if (_page == DemoCatalog.SignupIndex && _random.Chance(SignupCompleted))
            {
                var plan = _random.Pick(DemoCatalog.PlanCumulative);
                t = t.AddSeconds(20 + _random.Exponential(60));
                if (!Track(t, "Signup", Properties($"{{\"plan\":\"{DemoCatalog.Plans[plan]}\"}}")))
                {
                    return t;
                }

                if (_random.Chance(PurchaseAfterSignup))
                {
                    t = t.AddSeconds(30 + _random.Exponential(120));
                    if (!Track(t, "Purchase", Properties($"{{\"plan\":\"{DemoCatalog.Plans[plan]}\",\"amount\":{DemoCatalog.PlanAmounts[plan]},\"currency\":\"EUR\"}}")))
                    {
                        return t;
                    }
                }
            }
            else if (_random.Chance(CustomEventChance) && !CustomEvent(ref t))
            {
                return t;
            }

            if (!_random.Chance(ContinueSession))
            {
                return t;
            }

            t = t.AddSeconds(3 + _random.Exponential(45));
            _previousPage = _page;
            _page = _page == DemoCatalog.PricingIndex && _random.Chance(PricingToSignup)
                ? DemoCatalog.SignupIndex
                : _random.Pick(DemoCatalog.PathCumulative);
        }
    }

    private bool CustomEvent(ref DateTimeOffset t)
    {
        t = t.AddSeconds(1 + _random.Exponential(15));
        return _random.Next(4) switch
        {
            0 => Track(t, "Outbound Link", Properties($"{{\"url\":\"{Pick(DemoCatalog.OutboundUrls)}\"}}")),
            1 => Track(t, "File Download", Properties($"{{\"file\":\"{Pick(DemoCatalog.Downloads)}\"}}")),
            2 => Track(t, "Video Play", Properties($"{{\"video\":\"{Pick(DemoCatalog.Videos)}\",\"seconds\":{_random.Next(300) + 5}}}")),
            _ => Track(t, "Search", Properties($"{{\"query\":\"{Pick(DemoCatalog.Searches)}\",\"results\":{_random.Next(40)}}}")),
        };
    }

    private string Pick(string[] values) => values[_random.Next(values.Length)];

    /// <summary>The length of the JSON the handler wrote into <see cref="_properties"/>.</summary>
    private int Properties([System.Runtime.CompilerServices.InterpolatedStringHandlerArgument("")] PropertiesHandler handler) =>
        Math.Min(handler.Length, _properties.Length);

    private bool Page(DateTimeOffset t)
    {
        _type = "page";
        _event = "pageview";
        _propertiesLength = 0;
        return Emit(t);
    }

    private bool Track(DateTimeOffset t, string name, int propertiesLength)
    {
        _type = "track";
        _event = name;
        _propertiesLength = propertiesLength;
        return Emit(t);
    }

    /// <summary>
    /// Makes the current event (on time, late, and perhaps twice), and writes it when it falls in the range being
    /// generated; false once the budget is spent or time is up. Draws the same numbers whether it writes or not.
    /// </summary>
    private bool Emit(DateTimeOffset t)
    {
        if (_written >= Events || t >= _end)
        {
            return false;
        }

        var ticks = t.UtcTicks;
        var write = !_planning && ticks >= _fromTicks && ticks < _toTicks;
        if (write)
        {
            var id = (ulong)_written;
            DemoRandom.Mix(_idSeed ^ id).TryFormat(_messageId.AsSpan(0, 16), out _, "x16", CultureInfo.InvariantCulture);
            DemoRandom.Mix(~_idSeed ^ id).TryFormat(_messageId.AsSpan(16), out _, "x16", CultureInfo.InvariantCulture);
        }

        var sent = t.AddTicks(50_000 + _random.Next(400_000));
        var received = sent.AddTicks(100_000 + _random.Next(3_000_000));
        var late = false;
        if (_random.Chance(_options.LateFraction) && t.AddDays(1) < _end)
        {
            // Sent from an offline queue days later, but at most until now.
            var delay = Math.Min(86_400 + _random.Exponential(1.5 * 86_400), (_end - t).TotalSeconds);
            received = t.AddSeconds(delay);
            sent = received.AddTicks(-200_000);
            late = true;
        }

        if (write)
        {
            // What arrived late but long ago sits in its day's one compacted file; what arrived lately is still a
            // small file of its own, as the loader left it.
            Write(late && received >= _recentFrom ? _recent! : _events!, t, sent, received);
        }

        var duplicate = _random.Chance(_options.DuplicateFraction);
        var copyReceived = duplicate ? received.AddSeconds(1 + _random.Next(120)) : default;
        if (_planning)
        {
            _firstTicks = Math.Min(_firstTicks, ticks);
            _lastTicks = Math.Max(_lastTicks, ticks);
            LateEvents += late ? 1 : 0;
            Duplicates += duplicate ? 1 : 0;
            DuplicatesDropped += duplicate && copyReceived < _recentFrom ? 1 : 0;
        }
        else if (write && duplicate && copyReceived >= _recentFrom)
        {
            // A retry whose first attempt did arrive: the copy is received later, so compaction keeps the original.
            // An older copy is not written at all: compaction would have dropped it, and the lake looks compacted.
            Write(_recent!, t, sent, copyReceived);
        }

        _written++;
        if (write)
        {
            _generatedInRange++;
            if (++_sinceProgress == ProgressEvery)
            {
                _progress?.AddGenerated(_sinceProgress);
                _sinceProgress = 0;
            }
        }

        return true;
    }

    /// <summary>Where a visitor's events start in the random sequence and the budget, and the seconds they span.</summary>
    private readonly record struct VisitorStart(ulong RandomState, long Written, int FirstSecond, int LastSecond);

    private void Write(DuckDbAppender appender, DateTimeOffset t, DateTimeOffset sent, DateTimeOffset received)
    {
        var channel = DemoCatalog.Channels[_channel];
        var country = DemoCatalog.Countries[_country];
        var device = DemoCatalog.Devices[_device];
        var software = device.Software[_software];
        var screen = device.Screens[_screen];
        var landing = _landing || _type == "track" && _previousPage < 0;
        var withCampaign = _landing && _campaignQuery is not null;
        var row = appender.CreateRow()
            .Append(_messageId)
            .Append(_options.SiteId)
            .Append(_type)
            .Append(_event)
            .AppendNull() // user_id
            .AppendNull() // anonymous_id: cookieless
            .Append(_visitorId)
            .AppendNull() // session_id: queries compute sessions
            .Append(t)
            .Append(t)
            .Append(sent)
            .Append(received);
        row = withCampaign ? row.Append(Url(_page, _campaignQuery!)) : row.Append(_urls[_page]);
        row = row
            .Append(_options.Host)
            .Append(DemoCatalog.Paths[_page])
            .Append(withCampaign ? _campaignQuery : null)
            .Append(DemoCatalog.Titles[_page]);
        if (landing)
        {
            row = row.Append(channel.Referrer).Append(channel.ReferrerHost).Append(channel.Source);
        }
        else
        {
            // Later pages were reached from the site itself.
            row = row.Append(_previousPage >= 0 ? _urls[_previousPage] : null).Append(_options.Host).AppendNull();
        }

        row = withCampaign
            ? row.Append(channel.UtmSource).Append(channel.UtmMedium).Append(channel.Campaigns![_campaign]).Append(channel.UtmTerm)
                .Append(channel.UtmMedium == "cpc" ? DemoCatalog.AdContents[_campaign & 1] : null)
            : row.AppendNull().AppendNull().AppendNull().AppendNull().AppendNull();
        row = row
            .Append(country.Code)
            .Append(_place >= 0 ? country.Places[_place].Region : null)
            .Append(_place >= 0 ? country.Places[_place].City : null)
            .Append(software.Browser)
            .Append(DemoCatalog.BrowserVersions[_browserVersion])
            .Append(software.Os)
            .Append(DemoCatalog.OsVersions[_osVersion])
            .Append(device.Type)
            .Append(screen.Width)
            .Append(screen.Height)
            .Append(country.Locale)
            .Append(false);
        row = _propertiesLength > 0 ? row.Append(_properties.AsSpan(0, _propertiesLength)) : row.AppendNull();
        row
            .AppendNull() // traits
            .AppendNull() // context
            .Append(Library)
            .Append(Protocol)
            .AppendNull() // name
            .AppendNull() // group_id
            .AppendNull() // previous_id
            .EndRow();
    }

    private ReadOnlySpan<char> Url(int page, string query)
    {
        var url = _urls[page];
        url.CopyTo(_url);
        _url[url.Length] = '?';
        query.CopyTo(_url.AsSpan(url.Length + 1));
        return _url.AsSpan(0, url.Length + 1 + query.Length);
    }

    /// <summary>Formats a JSON object straight into the generator's properties buffer, without a string.</summary>
    [System.Runtime.CompilerServices.InterpolatedStringHandler]
    private ref struct PropertiesHandler
    {
        private readonly Span<char> _buffer;

        public PropertiesHandler(int literalLength, int formattedCount, DemoTrafficGenerator generator)
        {
            _ = literalLength;
            _ = formattedCount;
            _buffer = generator._properties;
            Length = 0;
        }

        public int Length { get; private set; }

        public void AppendLiteral(string value)
        {
            value.CopyTo(_buffer[Length..]);
            Length += value.Length;
        }

        public void AppendFormatted(string value) => AppendLiteral(value);

        public void AppendFormatted(int value)
        {
            value.TryFormat(_buffer[Length..], out var written, default, CultureInfo.InvariantCulture);
            Length += written;
        }
    }
}
