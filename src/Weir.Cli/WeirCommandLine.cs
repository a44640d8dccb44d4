using System.CommandLine;
using System.CommandLine.Invocation;
using Weir.Cli.Commands;
using Weir.Core;

namespace Weir.Cli;

/// <summary>The <c>weir</c> command line. Output goes to the given writers, so tests can run it in-process.</summary>
public static class WeirCommandLine
{
    /// <summary>Builds the command tree. Commands read configuration from <paramref name="environment"/>, not the process.</summary>
    public static RootCommand CreateRootCommand(IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var root = new RootCommand("Weir: self-hosted event analytics.");
        foreach (var option in root.Options)
        {
            if (option is VersionOption version)
            {
                version.Action = new PrintVersionAction();
            }
        }

        root.Subcommands.Add(ServeCommand.Create(environment));
        root.Subcommands.Add(QueryCommand.Create(environment));
        root.Subcommands.Add(LakeCommands.Compact(environment));
        root.Subcommands.Add(LakeCommands.Replay(environment));
        root.Subcommands.Add(DemoCommand.Create(environment));
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error,
        IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken = default)
    {
        var parseResult = CreateRootCommand(environment).Parse(args);
        var configuration = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            // The server's host handles SIGTERM and Ctrl+C itself and stops gracefully, however long that takes;
            // System.CommandLine's own handler would cut that short.
            ProcessTerminationTimeout = null,
        };

        var exitCode = await parseResult.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);

        // System.CommandLine reports a parse error with exit code 1; weir keeps 1 for failed work and uses 2 for usage.
        return parseResult.Errors.Count > 0 ? ExitCodes.Usage : exitCode;
    }

    private sealed class PrintVersionAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(WeirVersion.Current);
            return ExitCodes.Success;
        }
    }
}
