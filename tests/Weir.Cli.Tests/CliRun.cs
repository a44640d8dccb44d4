namespace Weir.Cli.Tests;

public sealed record CliResult(int ExitCode, string Output, string Error);

/// <summary>Runs the <c>weir</c> command line in this process, with its output captured.</summary>
public static class CliRun
{
    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await WeirCommandLine.RunAsync(args, output, error, environment);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string?>(), args);
}
