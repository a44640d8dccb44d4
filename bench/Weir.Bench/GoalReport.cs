using System.Globalization;
using BenchmarkDotNet.Reports;

namespace Weir.Bench;

/// <summary>Turns BenchmarkDotNet summaries (or figures measured otherwise) into one line per performance goal: measured, reference, ratio, verdict.</summary>
internal sealed class GoalReport(int rows)
{
    private readonly List<(string Line, bool Met)> _lines = [];

    public bool AllMet => _lines.TrueForAll(l => l.Met);

    /// <summary>A throughput ratio against a goal, or for information only when <paramref name="atLeast"/> is null.</summary>
    public void Throughput(string name, Summary summary, string candidate, string reference, double? atLeast)
    {
        var candidateRate = rows / Seconds(summary, candidate);
        var referenceRate = rows / Seconds(summary, reference);
        var ratio = candidateRate / referenceRate;
        var goal = atLeast is { } limit ? $"goal >= {limit:0.00}" : "no goal";
        Add($"{name}: {Format(candidateRate)} rows/s vs {Format(referenceRate)} rows/s for {Describe(summary, reference)}; ratio {ratio:0.00} ({goal})", atLeast is null || ratio >= atLeast);
    }

    /// <summary>A time ratio against a goal, or for information only when <paramref name="atMost"/> is null.</summary>
    public void TimeRatio(string name, Summary summary, string candidate, string reference, double? atMost)
    {
        var candidateTime = Seconds(summary, candidate);
        var referenceTime = Seconds(summary, reference);
        var ratio = candidateTime / referenceTime;
        var goal = atMost is { } limit ? $"goal <= {limit:0.00}" : "no goal";
        Add($"{name}: {candidateTime * 1000:0} ms ({Format(rows / candidateTime)} rows/s) vs {referenceTime * 1000:0} ms for {Describe(summary, reference)}; time ratio {ratio:0.00} ({goal})", atMost is null || ratio <= atMost);
    }

    public void AllocationsPerRow(string name, Summary summary, string candidate)
    {
        var report = Report(summary, candidate);
        var bytes = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? 0;
        var perRow = (double)bytes / rows;
        // What remains is per-run setup (the appender and its buffers), not per-row work.
        Add($"{name}: {bytes:N0} bytes allocated per run of {rows:N0} rows = {perRow:0.0000} bytes/row (goal: 0 per row; < 0.01 allows fixed setup)", perRow < 0.01);
    }

    public void Print()
    {
        Console.WriteLine();
        Console.WriteLine("## Goals (reference measured in this run, on this machine)");
        foreach (var (line, met) in _lines)
        {
            Console.WriteLine($"{(met ? "MET " : "MISS")} {line}");
        }
    }

    /// <summary>A goal line measured without BenchmarkDotNet (the lake suite times whole runs itself).</summary>
    public void Add(string line, bool met) => _lines.Add((line, met));

    private static BenchmarkReport Report(Summary summary, string method)
    {
        foreach (var report in summary.Reports)
        {
            if (report.BenchmarkCase.Descriptor.WorkloadMethod.Name == method)
            {
                return report.ResultStatistics is null
                    ? throw new InvalidOperationException($"Benchmark {method} produced no result; see the log above.")
                    : report;
            }
        }

        throw new InvalidOperationException($"No benchmark named {method}.");
    }

    private static double Seconds(Summary summary, string method) => Report(summary, method).ResultStatistics!.Median / 1e9;

    private static string Describe(Summary summary, string method) => Report(summary, method).BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo;

    private static string Format(double value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
