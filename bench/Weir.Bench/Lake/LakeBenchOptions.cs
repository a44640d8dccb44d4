using System.Globalization;

namespace Weir.Bench.Lake;

/// <summary>The flags of <c>weir-bench lake</c>.</summary>
/// <param name="Events">Page views for the loader, flush and storage measurements.</param>
/// <param name="CompactEvents">Page views of the day that is compacted; 0 skips compaction.</param>
/// <param name="CompactFiles">How many files that day is flushed into before compaction.</param>
/// <param name="WithContext">Records carry the <c>properties</c> and <c>context</c> analytics.js collects by itself.</param>
/// <param name="TimeOrderedIds">UUIDv7 message ids (made by ingest) instead of random ones (sent by Segment's SDKs).</param>
/// <param name="NoFail">Exit 0 even when a goal is missed.</param>
internal sealed record LakeBenchOptions(int Events, int CompactEvents, int CompactFiles, bool WithContext, bool TimeOrderedIds, bool NoFail)
{
    public const string Usage =
        "weir-bench lake [--events N] [--compact-events N] [--compact-files N] [--with-context] [--message-ids random|v7] [--no-fail]";

    /// <summary>The options, or null (after printing the usage) when the arguments are not understood.</summary>
    public static LakeBenchOptions? Parse(IReadOnlyList<string> args)
    {
        var options = new LakeBenchOptions(Events: 2_000_000, CompactEvents: 10_000_000, CompactFiles: 20, WithContext: false, TimeOrderedIds: false, NoFail: false);
        for (var i = 0; i < args.Count; i++)
        {
            var hasValue = i + 1 < args.Count;
            switch (args[i])
            {
                case "--events" when hasValue:
                    options = options with { Events = Count(args[++i], minimum: 1) };
                    break;
                case "--compact-events" when hasValue:
                    options = options with { CompactEvents = Count(args[++i], minimum: 0) };
                    break;
                case "--compact-files" when hasValue:
                    options = options with { CompactFiles = Count(args[++i], minimum: 2) };
                    break;
                case "--with-context":
                    options = options with { WithContext = true };
                    break;
                case "--message-ids" when hasValue && args[i + 1] is "random" or "v7":
                    options = options with { TimeOrderedIds = args[++i] == "v7" };
                    break;
                case "--no-fail":
                    options = options with { NoFail = true };
                    break;
                default:
                    Console.Error.WriteLine($"Unknown or incomplete argument '{args[i]}'. Usage: {Usage}");
                    return null;
            }
        }

        return options;
    }

    private static int Count(string text, int minimum)
    {
        var value = int.Parse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture);
        return value >= minimum ? value : throw new ArgumentOutOfRangeException(nameof(text), value, $"must be at least {minimum}");
    }
}
