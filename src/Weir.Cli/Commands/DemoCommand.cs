using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Weir.Core.Configuration;
using Weir.Demo;
using Weir.Log;
using Weir.Server;

namespace Weir.Cli.Commands;

/// <summary>
/// <c>weir demo</c>: fills the data folder with synthetic traffic for a demo site, straight into the lake, so the
/// reports have something to show. Needs the folder to itself: a running server holds it and must be stopped first.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(IReadOnlyDictionary<string, string?> environment)
    {
        var data = ConfigurationOptions.Data();
        var events = new Option<long>("--events")
        {
            Description = "Distinct events to generate, spread over the last 90 days.",
            DefaultValueFactory = _ => 1_000_000,
            HelpName = "n",
        };
        var seed = new Option<ulong>("--seed")
        {
            Description = "The random seed: the same seed gives the same events (their times relative to now).",
            DefaultValueFactory = _ => 1,
            HelpName = "s",
        };
        var command = new Command("demo", "Generate synthetic traffic for a demo site into the lake (stop the server first).") { events, data, seed };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var count = parseResult.GetValue(events);
            if (count < 1)
            {
                await error.WriteLineAsync($"weir demo: --events must be at least 1 (got {count}).").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            WeirOptions options;
            try
            {
                options = WeirConfiguration.Load(new CommandLineSettings { DataDirectory = parseResult.GetValue(data) }, environment);
            }
            catch (WeirConfigurationException e)
            {
                ErrorOutput.WriteConfigurationErrors(error, e);
                return ExitCodes.Usage;
            }

            DurableLog log;
            try
            {
                // Held until the end, so that no server starts on the folder while the lake is being written.
                log = DurableLog.Open(WeirServer.LogOptionsFor(options.DataDirectory));
            }
            catch (IOException e) when (e.Message.Contains("LOCK", StringComparison.Ordinal))
            {
                await error.WriteLineAsync($"weir demo: the data folder {options.DataDirectory} is in use by a running server; stop it first.").ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            await using (log.ConfigureAwait(false))
            {
                var (site, created) = DemoSite.Ensure(options.DataDirectory);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Demo site {site.Domain} ({site.Timezone}): id {site.Id}{(created ? ", created" : "")}.")).ConfigureAwait(false);
                var lake = Lake.Lake.Open(WeirServer.LakeOptionsFor(options) with { BackgroundMaintenance = false }, log);
                await using (lake.ConfigureAwait(false))
                {
                    var traffic = new DemoTrafficOptions { SiteId = site.Id, Events = count, Seed = parseResult.GetValue(seed), End = DateTimeOffset.UtcNow };
                    var progress = new DemoProgress();
                    var run = DemoImport.RunAsync(lake, traffic, progress, cancellationToken);
                    await ShowProgressAsync(run, progress, count, error).ConfigureAwait(false);
                    var result = await run.ConfigureAwait(false);
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"Generated {result.Events:N0} events ({result.Visitors:N0} visitors, {result.LateEvents:N0} late, {result.Duplicates:N0} duplicates) " +
                        $"into {result.OnTime.Files + result.Late.Files} files in {result.Duration.TotalSeconds:0.0} s " +
                        $"({result.Chunks} ranges of days; {result.DuplicatesDropped:N0} old duplicates dropped on import, " +
                        $"compaction dropped {result.Compaction.DuplicatesDropped:N0} recent ones).")).ConfigureAwait(false);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A progress bar on a terminal; elsewhere (a pipe, a test) nothing, as the summary follows.</summary>
    private static async Task ShowProgressAsync(Task run, DemoProgress progress, long total, TextWriter error)
    {
        var target = new AnsiConsoleOutput(error);
        if (!target.IsTerminal)
        {
            await run.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            return;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = target });
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var generating = context.AddTask("Generating events", maxValue: total);
                var writing = context.AddTask("Writing Parquet", maxValue: total);
                while (!run.IsCompleted)
                {
                    generating.Value = progress.Generated;
                    writing.Value = progress.Stage >= DemoStage.Compacting ? total : progress.Written;
                    await Task.WhenAny(run, Task.Delay(100)).ConfigureAwait(false);
                }

                generating.Value = total;
                writing.Value = total;
            }).ConfigureAwait(false);
    }
}
