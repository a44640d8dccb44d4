using System.Globalization;

namespace Weir.Bench.Query;

/// <summary>The flags of <c>weir-bench query</c>.</summary>
/// <param name="Events">Demo events to generate when <paramref name="Data"/> holds none yet.</param>
/// <param name="Data">A data folder to generate into, or whose demo lake to reuse (generating 100M takes a while); a temporary one when null.</param>
/// <param name="Iterations">Warm runs of each query after one warm-up; the median counts.</param>
/// <param name="NoFail">Exit 0 even when a goal is missed.</param>
internal sealed record QueryBenchOptions(long Events, string? Data, int Iterations, bool NoFail)
{
    public const string Usage = "weir-bench query [--events N] [--data DIR] [--iterations N] [--no-fail]";

    public static QueryBenchOptions? Parse(IReadOnlyList<string> args)
    {
        var options = new QueryBenchOptions(Events: 10_000_000, Data: null, Iterations: 5, NoFail: false);
        for (var i = 0; i < args.Count; i++)
        {
            var hasValue = i + 1 < args.Count;
            switch (args[i])
            {
                case "--events" when hasValue:
                    options = options with { Events = long.Parse(args[++i].Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture) };
                    break;
                case "--data" when hasValue:
                    options = options with { Data = Path.GetFullPath(args[++i]) };
                    break;
                case "--iterations" when hasValue:
                    options = options with { Iterations = Math.Max(1, int.Parse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture)) };
                    break;
                case "--no-fail":
                    options = options with { NoFail = true };
                    break;
                default:
                    Console.Error.WriteLine($"Unknown or incomplete argument '{args[i]}'. Usage: {Usage}");
                    return null;
            }
        }

        return options.Events >= 1 ? options : null;
    }
}
