using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Weir.Demo;
using Weir.DuckDb;
using Weir.Log;
using Weir.Query;
using Weir.Query.Execution;
using Weir.Query.Funnels;
using Weir.Query.Retention;
using Weir.Query.Stats;
using Weir.Query.Visits;

namespace Weir.Bench.Query;

/// <summary>
/// The query goals of issue 5 on demo traffic: the dashboard's set of stats queries, a 4-step funnel and an 8×8-week
/// retention matrix, each timed warm through Weir's engines, and the very same SQL (with the same parameters) timed
/// on a view straight over the lake's Parquet files: no catalog, no parser, no result objects. The ratio of the two is Weir's overhead.
/// </summary>
internal static class QuerySuite
{
    /// <summary>What a dashboard asks when it opens: Plausible's top stats, graph and the five top-N panels.</summary>
    private static readonly (string Name, string Body)[] Dashboard =
    [
        ("aggregate + comparison", """{"metrics":["visitors","visits","pageviews","views_per_visit","bounce_rate","visit_duration"],"date_range":"30d","include":{"comparisons":{"mode":"previous_period"}}}"""),
        ("time series", """{"metrics":["visitors","pageviews"],"date_range":"30d","dimensions":["time:day"]}"""),
        ("top pages", """{"metrics":["visitors","pageviews"],"date_range":"30d","dimensions":["event:page"],"pagination":{"limit":10}}"""),
        ("sources", """{"metrics":["visitors","bounce_rate"],"date_range":"30d","dimensions":["visit:source"],"pagination":{"limit":10}}"""),
        ("countries", """{"metrics":["visitors"],"date_range":"30d","dimensions":["visit:country"],"pagination":{"limit":10}}"""),
        ("devices", """{"metrics":["visitors"],"date_range":"30d","dimensions":["visit:device"],"pagination":{"limit":10}}"""),
        ("events", """{"metrics":["visitors","events"],"date_range":"30d","dimensions":["event:name"],"pagination":{"limit":10}}"""),
    ];

    private const string Funnel = """{"date_range":"30d","steps":[{"page":"/"},{"page":"/pricing"},{"page":"/signup"},{"event":"Signup"}],"window":"1h"}""";

    private const string Retention = """{"date_range":"56d","period":"week","periods":8}""";

    public static async Task<int> RunAsync(QueryBenchOptions options)
    {
        var temporary = options.Data is null;
        var data = options.Data ?? Path.Combine(Path.GetTempPath(), "weir-bench-query-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        try
        {
            var (site, _) = DemoSite.Ensure(data);
            var log = DurableLog.Open(new LogOptions { Directory = Path.Combine(data, "log") });
            await using (log)
            {
                var lake = Weir.Lake.Lake.Open(new Weir.Lake.LakeOptions { DataDirectory = data, BackgroundMaintenance = false }, log);
                await using (lake)
                {
                    lake.Start();
                    var events = CountEvents(lake, site.Id);
                    if (events == 0)
                    {
                        Console.WriteLine($"Generating {options.Events:N0} demo events into {data}...");
                        var generated = await DemoImport.RunAsync(lake, new DemoTrafficOptions { SiteId = site.Id, Events = options.Events, End = DateTimeOffset.UtcNow });
                        Console.WriteLine($"Generated in {generated.Duration.TotalSeconds:0.0} s.");
                        events = CountEvents(lake, site.Id);
                    }
                    else
                    {
                        Console.WriteLine($"Reusing the {events:N0} events of {data}.");
                    }

                    var now = DateTimeOffset.UtcNow;
                    string? Zone(string id) => id == site.Id ? site.Timezone : null;
                    var source = new BenchQuerySource(lake);
                    using var raw = RawDatabase.Open(lake);
                    var report = new GoalReport(0);
                    var results = new List<(string Name, double Weir, double Raw)>();

                    var visits = new VisitStore(source);
                    var stats = new StatsEngine(source, visits);
                    // Information: the first dashboard after a start, which builds the day summaries the later ones read,
                    // and the memory the summaries hold.
                    var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
                    var coldStarted = Stopwatch.GetTimestamp();
                    foreach (var (_, body) in Dashboard)
                    {
                        Json(stats.Run(StatsRequestParser.Parse(WithSite(body, site.Id), Zone, now)).WriteJson);
                    }

                    var cold = Stopwatch.GetElapsedTime(coldStarted).TotalMilliseconds;
                    var heapSummaries = GC.GetTotalMemory(forceFullCollection: true);
                    foreach (var (name, body) in Dashboard)
                    {
                        var query = StatsRequestParser.Parse(WithSite(body, site.Id), Zone, now);
                        var statements = new List<BoundSql> { StatsSql.Build(query, query.DateRange, RawDatabase.Relation, paginate: true) };
                        if (query.CompareWithPreviousPeriod)
                        {
                            var zone = TimeZoneInfo.FindSystemTimeZoneById(query.TimeZone);
                            statements.Add(StatsSql.Build(query, StatsRequestParser.PreviousPeriod(query.DateRange, zone), RawDatabase.Relation, paginate: false));
                        }

                        results.Add((name, Median(options.Iterations, () => Json(stats.Run(query).WriteJson)), Median(options.Iterations, () => raw.Run(statements))));
                    }

                    var funnels = new FunnelEngine(source, visits);
                    var funnel = FunnelRequestParser.Parse(WithSite(Funnel, site.Id), Zone, now);
                    // Information: the first funnel after a start, which loads the days' events the later ones read.
                    var funnelStarted = Stopwatch.GetTimestamp();
                    Json(funnels.Run(funnel).WriteJson);
                    var funnelCold = Stopwatch.GetElapsedTime(funnelStarted).TotalMilliseconds;
                    var heapEvents = GC.GetTotalMemory(forceFullCollection: true);
                    results.Add(("funnel, 4 steps", Median(options.Iterations, () => Json(funnels.Run(funnel).WriteJson)), Median(options.Iterations, () => raw.Run([FunnelSql.Build(funnel, RawDatabase.Relation)]))));
                    var retentions = new RetentionEngine(source, visits);
                    var retention = RetentionRequestParser.Parse(WithSite(Retention, site.Id), Zone, now);
                    results.Add(("retention, 8x8 weeks", Median(options.Iterations, () => Json(retentions.Run(retention).WriteJson)), Median(options.Iterations, () => raw.Run([RetentionSql.Build(retention, RawDatabase.Relation)]))));

                    Console.WriteLine();
                    Console.WriteLine($"| query ({events:N0} events, median of {options.Iterations} warm runs) | Weir ms | plain DuckDB ms | ratio |");
                    Console.WriteLine("| --- | ---: | ---: | ---: |");
                    foreach (var (name, weir, plain) in results)
                    {
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {weir:0.0} | {plain:0.0} | {weir / plain:0.00} |"));
                    }

                    var dashboardWeir = results.Take(Dashboard.Length).Sum(r => r.Weir);
                    var dashboardRaw = results.Take(Dashboard.Length).Sum(r => r.Raw);
                    // The absolute goals are the issue's at 10M (and 1 s for the dashboard at 100M); smaller runs check the ratio only.
                    var dashboardGoal = events >= 50_000_000 ? 1000.0 : 150.0;
                    var scaled = events >= 9_000_000;
                    report.Add(string.Create(CultureInfo.InvariantCulture,
                        $"dashboard set ({Dashboard.Length} queries) at {events:N0} events: {dashboardWeir:0} ms total, warm (goal <= {dashboardGoal:0} ms{(scaled ? "" : ", checked at 10M and more only")}); plain DuckDB {dashboardRaw:0} ms"),
                        !scaled || dashboardWeir <= dashboardGoal);
                    var funnelRow = results[^2];
                    var retentionRow = results[^1];
                    report.Add(string.Create(CultureInfo.InvariantCulture, $"funnel of 4 steps: {funnelRow.Weir:0} ms (goal <= 300 ms at 10M{(events > 50_000_000 ? ", not checked at this size" : "")}); plain DuckDB {funnelRow.Raw:0} ms"),
                        !scaled || events > 50_000_000 || funnelRow.Weir <= 300);
                    report.Add(string.Create(CultureInfo.InvariantCulture, $"retention 8x8 weeks: {retentionRow.Weir:0} ms (goal <= 300 ms at 10M{(events > 50_000_000 ? ", not checked at this size" : "")}); plain DuckDB {retentionRow.Raw:0} ms"),
                        !scaled || events > 50_000_000 || retentionRow.Weir <= 300);
                    var worst = results.MaxBy(r => r.Weir / r.Raw);
                    report.Add(string.Create(CultureInfo.InvariantCulture, $"overhead: worst query '{worst.Name}' {worst.Weir / worst.Raw:0.00}x the same SQL on plain DuckDB (goal <= 1.10)"),
                        worst.Weir / worst.Raw <= 1.10);
                    report.Print();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"(information) the first dashboard set after a start, building the day summaries: {cold:0} ms"));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"(information) the first funnel after a start, loading the days' events: {funnelCold:0} ms"));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"(information) memory held: the dashboard's day summaries {(heapSummaries - heapBefore) / 1e6:0} MB, the funnel's day events {(heapEvents - heapSummaries) / 1e6:0} MB (for the days they read, of {events:N0} events in all)"));
                    return report.AllMet || options.NoFail ? 0 : 1;
                }
            }
        }
        finally
        {
            if (temporary)
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    private static long CountEvents(Weir.Lake.Lake lake, string siteId)
    {
        using var connection = lake.Connect();
        using var statement = connection.Prepare("SELECT count(*) FROM \"events\" WHERE \"site_id\" = $1");
        statement.Bind(1, siteId);
        return Convert.ToInt64(ResultRows.ReadAll(statement.Execute())[0][0], CultureInfo.InvariantCulture);
    }

    /// <summary>The median wall time of <paramref name="iterations"/> runs after one warm-up, in milliseconds.</summary>
    private static double Median(int iterations, Action run)
    {
        run();
        var times = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var started = Stopwatch.GetTimestamp();
            run();
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        Array.Sort(times);
        return iterations % 2 == 1 ? times[iterations / 2] : (times[(iterations / 2) - 1] + times[iterations / 2]) / 2;
    }

    /// <summary>Writes a result as the endpoint would, so that the Weir side pays for its JSON too.</summary>
    private static void Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(buffer, JsonValueWriter.Options);
        write(writer);
    }

    private static JsonElement WithSite(string json, string siteId)
    {
        using var document = JsonDocument.Parse(json);
        var fields = document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        fields["site_id"] = JsonSerializer.SerializeToElement(siteId);
        return JsonSerializer.SerializeToElement(fields);
    }

    /// <summary>The lake as the engines read it in the server.</summary>
    private sealed class BenchQuerySource(Weir.Lake.Lake lake) : IQuerySource
    {
        public string EventsRelation => "\"" + Weir.Lake.Query.EventsView.Name + "\"";

        public IReadOnlyList<string> DataDirectories { get; } = [lake.Layout.Root];

        public DuckDbConnection Connect() => lake.Connect();

        public IReadOnlyDictionary<DateOnly, string?>? PartitionVersions(string siteId) => lake.PartitionVersions(siteId);
    }

    /// <summary>
    /// The reference: a temporary view straight over the lake's Parquet files, on a connection to the same DuckDB
    /// instance (same settings, same caches), and the statements run on it directly: no catalog, no engine, no
    /// result objects, no JSON.
    /// </summary>
    private sealed class RawDatabase : IDisposable
    {
        public const string Relation = "\"raw_events\"";

        private readonly DuckDbConnection _connection;

        private RawDatabase(DuckDbConnection connection) => _connection = connection;

        public static RawDatabase Open(Weir.Lake.Lake lake)
        {
            var connection = lake.Connect();
            // The catalog's files, listed as the lake's view lists them. (A glob would also make DuckDB list the folders
            // on every query, and would read the files compaction replaced but has not deleted yet.)
            var files = lake.Catalog.Files.Select(f => Weir.DuckDb.Sql.Literal(lake.Layout.Absolute(f.Path)));
            connection.Execute($"CREATE TEMP VIEW {Relation} AS SELECT * FROM read_parquet([{string.Join(", ", files)}], hive_partitioning = true, hive_types = {{'site_id': VARCHAR, 'event_date': DATE}})");
            return new RawDatabase(connection);
        }

        public void Run(IEnumerable<BoundSql> statements)
        {
            foreach (var statement in statements)
            {
                using var prepared = _connection.Prepare(statement.Sql);
                for (var i = 0; i < statement.Parameters.Count; i++)
                {
                    prepared.Bind(i + 1, statement.Parameters[i]);
                }

                using var result = prepared.Execute();
                while (result.NextChunk() is { } chunk)
                {
                    chunk.Dispose();
                }
            }
        }

        public void Dispose() => _connection.Dispose();
    }
}
