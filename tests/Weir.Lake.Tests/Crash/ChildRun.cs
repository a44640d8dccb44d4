using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Weir.Lake.Tests.Crash;

/// <summary>What <see cref="KillAt"/> counts.</summary>
internal enum KillOn
{
    /// <summary>Never: the child runs to its end.</summary>
    Nothing,

    /// <summary>Lines the child prints that start with the text.</summary>
    Line,

    /// <summary>Files created under the data folder whose name ends with the text.</summary>
    Created,

    /// <summary>Files renamed into a name that ends with the text (a durable write's last step).</summary>
    Renamed,

    /// <summary>Files deleted whose name ends with the text.</summary>
    Deleted,
}

/// <summary>
/// Kill the child at the <see cref="Count"/>-th event of kind <see cref="On"/> that matches <see cref="Text"/> (and, for
/// files, whose name contains <see cref="Containing"/> when it is set).
/// </summary>
internal sealed record KillAt(KillOn On, string Text, int Count, string? Containing = null)
{
    public static KillAt Never { get; } = new(KillOn.Nothing, "", 0);

    public bool Matches(string text) => On == KillOn.Line
        ? text.StartsWith(Text, StringComparison.Ordinal)
        : text.EndsWith(Text, StringComparison.Ordinal) && (Containing is null || text.Contains(Containing, StringComparison.Ordinal));

    public override string ToString() => On switch
    {
        KillOn.Nothing => "no kill",
        KillOn.Line => string.Create(CultureInfo.InvariantCulture, $"line #{Count} '{Text}…'"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{On} file #{Count} '*{Containing}*{Text}'"),
    };
}

/// <summary>What one run of the child printed (its complete lines after "ready"), and how it ended.</summary>
internal sealed record ChildRun(IReadOnlyList<string> Lines, bool Killed)
{
    /// <summary>The number after each line that starts with <paramref name="prefix"/>.</summary>
    public List<long> Numbers(string prefix) =>
        [.. Lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).Select(l => long.Parse(l[prefix.Length..].Split(' ')[0], CultureInfo.InvariantCulture))];

    /// <summary>
    /// Runs tests/Weir.Lake.CrashChild (<paramref name="mode"/> over <paramref name="data"/> with <paramref name="argument"/>)
    /// and kills it with SIGKILL as <paramref name="killAt"/> says. Waits on its output and on file-system events only,
    /// bounded by a minute; fails if the child fails, or ends by itself before its kill point unless
    /// <paramref name="mayEnd"/>.
    /// </summary>
    public static async Task<ChildRun> RunAsync(string mode, string data, string argument, KillAt killAt, bool mayEnd = false)
    {
        var child = ChildPath();
        Assert.True(File.Exists(child), $"the crash child is not built at {child}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(child);
        start.ArgumentList.Add(mode);
        start.ArgumentList.Add(data);
        start.ArgumentList.Add(argument);

        Directory.CreateDirectory(data);
        using var watcher = new FileSystemWatcher(data) { IncludeSubdirectories = true, InternalBufferSize = 1 << 16 };
        var gate = new Lock();
        Process? process = null;
        var killed = false;
        var seen = 0;
        void Seen(string text)
        {
            if (killAt.Matches(text) && Interlocked.Increment(ref seen) == killAt.Count)
            {
                lock (gate)
                {
                    if (!killed && process is { HasExited: false })
                    {
                        process.Kill(entireProcessTree: true); // SIGKILL on Unix
                        killed = true;
                    }
                }
            }
        }

        switch (killAt.On)
        {
            case KillOn.Created:
                watcher.Created += (_, e) => Seen(Path.GetFileName(e.FullPath));
                break;
            case KillOn.Renamed:
                watcher.Renamed += (_, e) => Seen(Path.GetFileName(e.FullPath));
                break;
            case KillOn.Deleted:
                watcher.Deleted += (_, e) => Seen(Path.GetFileName(e.FullPath));
                break;
        }

        watcher.EnableRaisingEvents = killAt.On is KillOn.Created or KillOn.Renamed or KillOn.Deleted;
        lock (gate)
        {
            process = Process.Start(start)!;
        }

        using var owned = process;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.BaseStream;
        var lines = new List<string>();
        var ready = false;
        var pending = new StringBuilder();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            int read;
            while ((read = await stdout.ReadAsync(buffer, timeout.Token)) > 0)
            {
                pending.Append(Encoding.UTF8.GetString(buffer, 0, read));
                var text = pending.ToString();
                var last = text.LastIndexOf('\n');
                if (last < 0)
                {
                    continue;
                }

                // Only complete lines count: one cut by the kill has no newline.
                foreach (var line in text[..last].Split('\n'))
                {
                    if (!ready)
                    {
                        ready = line == "ready";
                        continue;
                    }

                    lines.Add(line);
                    if (killAt.On == KillOn.Line)
                    {
                        Seen(line);
                    }
                }

                pending.Clear().Append(text[(last + 1)..]);
            }

            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the child neither reached its kill point ({killAt}) nor ended within a minute; it printed {lines.Count} lines");
        }

        bool wasKilled;
        lock (gate)
        {
            wasKilled = killed;
        }

        if (!wasKilled && (process.ExitCode != 0 || (killAt.On != KillOn.Nothing && !mayEnd)))
        {
            Assert.Fail($"the child ended (exit code {process.ExitCode}) before its kill point ({killAt}): {await stderr}");
        }

        return new ChildRun(lines, wasKilled);
    }

    private static string ChildPath()
    {
        // artifacts/bin/Weir.Lake.Tests/<configuration>/ → artifacts/bin/Weir.Lake.CrashChild/<configuration>/
        var testDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        return Path.Combine(testDirectory.Parent!.Parent!.FullName, "Weir.Lake.CrashChild", testDirectory.Name, "Weir.Lake.CrashChild.dll");
    }
}
