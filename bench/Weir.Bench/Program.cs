using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Weir.Bench;
using Weir.Bench.DuckDb;
using Weir.Bench.Ingest;
using Weir.Bench.Lake;

// Usage: weir-bench duckdb [--rows N] [--iterations N]
//        weir-bench noop-server --urls URL   (the no-op Kestrel reference of bench/ingest/run.sh)
//        weir-bench load URL RATE SECONDS CONNECTIONS BODY-FILE   (open-loop load, auth from WEIR_BENCH_AUTH)
//        weir-bench freshness RATE SECONDS FLUSH-ROWS   (ack-to-visible delay of the lake under steady load)
//        weir-bench query [--events N] [--data DIR] [--iterations N] [--no-fail]   (dashboard, funnel, retention vs plain DuckDB)
//        weir-bench lake [--events N] [--compact-events N] [--compact-files N] [--with-context] [--message-ids random|v7] [--no-fail]
// duckdb prints BenchmarkDotNet's tables, lake its own timings (it times whole runs: see bench/lake/run.sh); both end with
// one line per goal with the ratio against the reference measured in this run.
if (args is ["noop-server", "--urls", var noopUrls])
{
    return await NoopServer.RunAsync(noopUrls);
}

if (args is ["load", var loadUrl, var loadRate, var loadSeconds, var loadConnections, var loadBody])
{
    return await OpenLoopLoad.RunAsync(loadUrl, double.Parse(loadRate, CultureInfo.InvariantCulture),
        TimeSpan.FromSeconds(double.Parse(loadSeconds, CultureInfo.InvariantCulture)), int.Parse(loadConnections, CultureInfo.InvariantCulture),
        loadBody, Environment.GetEnvironmentVariable("WEIR_BENCH_AUTH"));
}

if (args is ["freshness", var freshRate, var freshSeconds, var freshFlushRows])
{
    return await Weir.Bench.Freshness.FreshnessBenchmark.RunAsync(int.Parse(freshRate, CultureInfo.InvariantCulture),
        int.Parse(freshSeconds, CultureInfo.InvariantCulture), int.Parse(freshFlushRows, CultureInfo.InvariantCulture));
}

if (args is ["query", .. var queryArgs])
{
    return Weir.Bench.Query.QueryBenchOptions.Parse(queryArgs) is { } queryOptions ? await Weir.Bench.Query.QuerySuite.RunAsync(queryOptions) : 2;
}

if (args is ["lake", .. var lakeArgs])
{
    return LakeBenchOptions.Parse(lakeArgs) is { } lakeOptions ? await LakeSuite.RunAsync(lakeOptions) : 2;
}

var options = BenchOptions.Parse(args);
if (options.Suite != "duckdb")
{
    Console.Error.WriteLine($"Unknown suite '{options.Suite}'. Suites: duckdb, lake");
    return 2;
}

Utf8CodePoints.SelfCheck();
Console.WriteLine($"Generating {options.Rows:N0} rows...");
using var data = BenchmarkData.Create(options.Rows);
AppenderBenchmarks.Data = data;
ScanBenchmarks.Data = data;
ScanBenchmarks.Expected = data.ExpectedTotals();

// In-process: the benchmarks share the generated data, and no project has to be generated and built per run.
var job = Job.Default
    .WithToolchain(InProcessEmitToolchain.Instance)
    .WithStrategy(RunStrategy.Monitoring)
    .WithLaunchCount(1)
    .WithWarmupCount(1)
    .WithIterationCount(options.Iterations)
    .WithInvocationCount(1)
    .WithUnrollFactor(1);
var config = ManualConfig.CreateEmpty()
    .AddJob(job)
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddColumnProvider(DefaultColumnProviders.Instance)
    .AddLogger(ConsoleLogger.Default)
    .AddExporter(MarkdownExporter.Console)
    .WithOption(ConfigOptions.DisableLogFile, true)
    .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "weir-bench-artifacts"));

var appender = BenchmarkRunner.Run<AppenderBenchmarks>(config);
var scan = BenchmarkRunner.Run<ScanBenchmarks>(config);

var results = new GoalReport(options.Rows);
results.Throughput($"Appender ({AppenderBenchmarks.Threads} threads, one appender each)", appender, "AppenderPerCore", "ParquetInsert", atLeast: 0.7);
results.Throughput("Appender (one thread, for comparison)", appender, "Appender", "ParquetInsert", atLeast: null);
results.AllocationsPerRow("Appender", appender, "Appender");
results.TimeRatio("Scan", scan, "VisitedTypedReaders", "DuckDbAggregate", atMost: 1.5);
results.TimeRatio("Scan (streaming result, for comparison)", scan, "StreamedTypedReaders", "DuckDbAggregate", atMost: null);
results.Print();
return results.AllMet || options.NoFail ? 0 : 1;

internal sealed record BenchOptions(string Suite, int Rows, int Iterations, bool NoFail)
{
    public static BenchOptions Parse(string[] args)
    {
        var suite = "duckdb";
        var rows = 10_000_000;
        var iterations = 5;
        var noFail = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rows":
                    rows = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--iterations":
                    iterations = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--no-fail":
                    noFail = true;
                    break;
                default:
                    suite = args[i];
                    break;
            }
        }

        return new BenchOptions(suite, rows, iterations, noFail);
    }
}
