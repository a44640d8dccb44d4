using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace Weir.Log.Tests;

/// <summary>
/// A child process (tests/Weir.Log.CrashChild) appends from several tasks and prints every acknowledged record; it is
/// killed with SIGKILL at random (seeded) moments, and after each kill every acknowledged record must be in the reopened
/// log, intact. WEIR_CRASH_ITERATIONS sets the number of kills (default 50).
/// </summary>
public class CrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_acknowledged_record_survives_kill_9_at_random_moments()
    {
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("WEIR_CRASH_ITERATIONS"), CultureInfo.InvariantCulture, out var n) ? n : 50;
        var child = ChildPath();
        Assert.True(File.Exists(child), $"the crash child is not built at {child}");
        using var temp = new TempDirectory();
        var random = new Random(20240611);
        var acked = new Dictionary<long, (int Run, int Writer, int Sequence)>();
        var killedWithAcks = 0;
        var tornTails = 0;
        for (var run = 0; run < iterations; run++)
        {
            var killAfter = random.Next(0, 4) == 0 ? 0 : random.Next(1, 300);
            var lines = await RunAndKillAsync(child, temp.Path, run, killAfter);
            foreach (var line in lines)
            {
                var parts = line.Split(' ', ':');
                acked[long.Parse(parts[3], CultureInfo.InvariantCulture)] =
                    (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture));
            }

            killedWithAcks += lines.Count > 0 ? 1 : 0;

            // Reopen (recovery verifies every checksum) and find every acknowledged record at its position.
            await using var log = DurableLog.Open(new LogOptions { Directory = temp.Path, SegmentBytes = 256 << 10, MaxBatchBytes = 64 << 10, MaxRecordBytes = 16 << 10 });
            tornTails += log.Recovery.TornBytesTruncated > 0 ? 1 : 0;
            var found = 0;
            using var reader = log.OpenReader(log.StartPosition);
            for (var batch = reader.Read(); batch.Count > 0; batch = reader.Read())
            {
                foreach (var record in batch)
                {
                    if (acked.TryGetValue(record.Position, out var expected))
                    {
                        var payload = record.Payload.Span;
                        Assert.Equal(expected.Run, BinaryPrimitives.ReadInt32LittleEndian(payload));
                        Assert.Equal(expected.Writer, BinaryPrimitives.ReadInt32LittleEndian(payload[4..]));
                        Assert.Equal(expected.Sequence, BinaryPrimitives.ReadInt32LittleEndian(payload[8..]));
                        found++;
                    }
                }
            }

            Assert.Equal(acked.Count, found);
        }

        output.WriteLine($"{iterations} kills, {acked.Count} acknowledged records all present; {killedWithAcks} kills came after acknowledgements, {tornTails} recoveries cut a torn tail");
        Assert.True(killedWithAcks >= iterations / 2);
    }

    /// <summary>Starts the child, waits for <paramref name="killAfter"/> acknowledgements, kills it, and returns every complete line.</summary>
    private static async Task<List<string>> RunAndKillAsync(string child, string directory, int run, int killAfter)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(child);
        start.ArgumentList.Add(directory);
        start.ArgumentList.Add(run.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add("4");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.BaseStream;
        var lines = new List<string>();
        var pending = new StringBuilder();
        var buffer = new byte[16384];
        var ready = false;
        var killed = false;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var read = await stdout.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            pending.Append(Encoding.UTF8.GetString(buffer, 0, read));
            var text = pending.ToString();
            var last = text.LastIndexOf('\n');
            if (last >= 0)
            {
                foreach (var line in text[..last].Split('\n'))
                {
                    if (line == "ready")
                    {
                        ready = true;
                    }
                    else
                    {
                        lines.Add(line); // only complete lines: a line cut by the kill has no newline
                    }
                }

                pending.Clear().Append(text[(last + 1)..]);
            }

            if (!killed && ready && lines.Count >= killAfter)
            {
                process.Kill(); // SIGKILL on Unix
                killed = true;
            }
        }

        await process.WaitForExitAsync(timeout.Token);
        Assert.True(killed, $"the child exited by itself (code {process.ExitCode}): {await stderr}");
        return lines;
    }

    internal static string ChildPath()
    {
        // artifacts/bin/Weir.Log.Tests/<configuration>/ → artifacts/bin/Weir.Log.CrashChild/<configuration>/
        var testDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        return Path.Combine(testDirectory.Parent!.Parent!.FullName, "Weir.Log.CrashChild", testDirectory.Name, "Weir.Log.CrashChild.dll");
    }
}
