using System.Diagnostics;

namespace Weir.Server.Tests;

/// <summary>Runs the Node scripts in tests/sdk (other products' SDKs, the tracker in headless Chromium) against a running server.</summary>
internal static class NodeScripts
{
    /// <summary>Runs <paramref name="script"/> with <paramref name="arguments"/>; fails the test on a non-zero exit. Returns stdout.</summary>
    public static async Task<string> RunAsync(string script, params string[] arguments)
    {
        var sdk = Path.Combine(RepositoryRoot(), "tests", "sdk");
        Assert.True(Directory.Exists(Path.Combine(sdk, "node_modules", "@segment")), $"run 'npm ci' in {sdk} first (./test.sh does)");
        var start = new ProcessStartInfo("node") { WorkingDirectory = sdk, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await node.WaitForExitAsync(deadline.Token);
        Assert.True(node.ExitCode == 0, $"node {script} exited {node.ExitCode}: {await stderr}");
        return (await stdout).Trim();
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Weir.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (with Weir.slnx) is not above " + AppContext.BaseDirectory);
    }
}
