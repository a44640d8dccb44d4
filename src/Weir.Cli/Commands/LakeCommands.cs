using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using Weir.Core.Configuration;
using Weir.Lake;
using Weir.Log;
using Weir.Server;
using Weir.Server.Admin;

namespace Weir.Cli.Commands;

/// <summary>
/// <c>weir compact</c> and <c>weir replay</c>: lake maintenance from the command line. Both open the data folder
/// directly; <c>compact</c> asks the running server instead when it holds the folder.
/// </summary>
internal static class LakeCommands
{
    public static Command Compact(IReadOnlyDictionary<string, string?> environment)
    {
        var data = ConfigurationOptions.Data();
        var command = new Command("compact", "Compact the lake now: merge each partition's small files, drop duplicate events, keep the time order.") { data };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            if (Load(parseResult.GetValue(data), environment, error) is not { } options)
            {
                return ExitCodes.Usage;
            }

            DurableLog log;
            try
            {
                log = OpenLog(options);
            }
            catch (IOException e) when (e.Message.Contains("LOCK", StringComparison.Ordinal))
            {
                // The server holds the folder: ask it.
                return await CompactThroughServerAsync(options, output, error, cancellationToken).ConfigureAwait(false);
            }

            await using (log.ConfigureAwait(false))
            {
                var lake = Lake.Lake.Open(LakeOptionsFor(options), log);
                await using (lake.ConfigureAwait(false))
                {
                    var summary = await lake.CompactAsync(cancellationToken).ConfigureAwait(false);
                    await lake.SweepAsync().ConfigureAwait(false);
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"Compacted {summary.Partitions} partitions: {summary.FilesIn} files into {summary.FilesOut}, {summary.DuplicatesDropped} duplicates dropped, in {summary.Duration.TotalSeconds:0.0} s.")).ConfigureAwait(false);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Replay(IReadOnlyDictionary<string, string?> environment)
    {
        var data = ConfigurationOptions.Data();
        var command = new Command("replay", "Rebuild the lake from the raw zone and the log (stop the server first).") { data };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            if (Load(parseResult.GetValue(data), environment, error) is not { } options)
            {
                return ExitCodes.Usage;
            }

            DurableLog log;
            try
            {
                log = OpenLog(options);
            }
            catch (IOException e) when (e.Message.Contains("LOCK", StringComparison.Ordinal))
            {
                await error.WriteLineAsync($"weir replay: the data folder {options.DataDirectory} is in use by a running server; stop it first.").ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            await using (log.ConfigureAwait(false))
            {
                var progress = new Progress<long>(records =>
                {
                    if (records % 1_000_000 < 4096)
                    {
                        error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"weir replay: {records:N0} records read"));
                    }
                });
                var result = await Lake.Lake.ReplayAsync(LakeOptionsFor(options), log, progress, cancellationToken: cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Replayed {result.Records:N0} records into {result.Rows:N0} rows in {result.Files} files (log position {result.Watermark}), in {result.Duration.TotalSeconds:0.0} s.")).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static WeirOptions? Load(string? dataFlag, IReadOnlyDictionary<string, string?> environment, TextWriter error)
    {
        try
        {
            return WeirConfiguration.Load(new CommandLineSettings { DataDirectory = dataFlag }, environment);
        }
        catch (WeirConfigurationException e)
        {
            ErrorOutput.WriteConfigurationErrors(error, e);
            return null;
        }
    }

    private static DurableLog OpenLog(WeirOptions options) => DurableLog.Open(WeirServer.LogOptionsFor(options.DataDirectory));

    private static LakeOptions LakeOptionsFor(WeirOptions options) => WeirServer.LakeOptionsFor(options) with { BackgroundMaintenance = false };

    private static async Task<int> CompactThroughServerAsync(WeirOptions options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var token = AdminToken.Resolve(options.AdminToken, options.DataDirectory);
        var address = new UriBuilder(options.Http.Urls[0]);
        if (address.Host is "0.0.0.0" or "[::]" or "::" or "+" or "*")
        {
            address.Host = "127.0.0.1";
        }

        address.Path = "/api/v1/maintenance/compact";
        using var client = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Post, address.Uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
        try
        {
            using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                await error.WriteLineAsync($"weir compact: the server at {address.Uri} answered {(int)response.StatusCode}: {body}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            await output.WriteLineAsync(body).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        catch (HttpRequestException e)
        {
            await error.WriteLineAsync($"weir compact: the data folder is in use, but the server at {address.Uri} could not be reached: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }
}
