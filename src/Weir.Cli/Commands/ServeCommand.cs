using System.CommandLine;
using Weir.Core.Configuration;
using Weir.Server;
using Weir.Server.Admin;

namespace Weir.Cli.Commands;

/// <summary><c>weir serve</c>: runs the server until SIGTERM or Ctrl+C.</summary>
internal static class ServeCommand
{
    public static Command Create(IReadOnlyDictionary<string, string?> environment)
    {
        var data = ConfigurationOptions.Data();
        var urls = ConfigurationOptions.Urls();
        var logFormat = ConfigurationOptions.LogFormat();
        var logLevel = ConfigurationOptions.LogLevel();
        var command = new Command("serve", "Run the Weir server until SIGTERM or Ctrl+C.") { data, urls, logFormat, logLevel };

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var flags = new CommandLineSettings
            {
                DataDirectory = parseResult.GetValue(data),
                Urls = parseResult.GetValue(urls),
                LogFormat = parseResult.GetValue(logFormat),
                LogLevel = parseResult.GetValue(logLevel),
            };
            return await RunAsync(flags, environment, parseResult.InvocationConfiguration.Error, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(CommandLineSettings flags, IReadOnlyDictionary<string, string?> environment,
        TextWriter error, CancellationToken cancellationToken)
    {
        WeirOptions options;
        try
        {
            options = WeirConfiguration.Load(flags, environment);
        }
        catch (WeirConfigurationException e)
        {
            ErrorOutput.WriteConfigurationErrors(error, e);
            return ExitCodes.Usage;
        }

        var server = new WeirServer(options);
        await using (server.ConfigureAwait(false))
        {
            if (server.AdminToken.WasGenerated)
            {
                // Shown this once, on the terminal and not in the log: it is a secret.
                await error.WriteLineAsync(
                    $"weir serve: generated the admin token {server.AdminToken.Value} (saved to {Path.Combine(options.DataDirectory, AdminToken.FileName)}, readable by you only). Send it as 'Authorization: Bearer <token>'.")
                    .ConfigureAwait(false);
            }

            try
            {
                await server.RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                // Kestrel could not bind, for example because the address is in use. The message says which.
                await error.WriteLineAsync($"weir serve: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        }

        return ExitCodes.Success;
    }
}
