using System.Diagnostics;
using Weir.Log.IO;
using Xunit.Abstractions;

namespace Weir.Log.Tests;

/// <summary>ENOSPC keeps the log consistent and heals by itself; a failed fsync fails the log for good.</summary>
public class DiskFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task When_a_write_hits_ENOSPC_appends_fail_with_LogFullException_and_succeed_again_once_space_is_back()
    {
        using var temp = new TempDirectory();
        var fs = new FaultyFileSystem();
        var options = TestRecords.Options(temp.Path) with { FileSystem = fs };
        var acked = new List<long>();
        await using (var log = DurableLog.Open(options))
        {
            for (var i = 0; i < 100; i++)
            {
                acked.Add(await log.AppendAsync(TestRecords.Make(0, i)));
            }

            fs.WriteErrno = NativeMethods.ENOSPC; // half of each write lands, then ENOSPC
            var failing = Enumerable.Range(0, 8).Select(w => log.AppendAsync(TestRecords.Make(1, w)).AsTask()).ToArray();
            foreach (var append in failing)
            {
                await Assert.ThrowsAsync<LogFullException>(() => append);
            }

            Assert.Equal(LogState.DiskFull, log.State);
            Assert.True(log.TryEnqueue(TestRecords.Make(1, 8), out var discarded));
            await Assert.ThrowsAsync<LogFullException>(async () => await log.WaitForCommitAsync(discarded));
            Assert.True(log.GetStatistics().RecordsRejectedDiskFull >= 9);

            fs.WriteErrno = 0; // space is freed: the next flush succeeds by itself
            for (var i = 100; i < 200; i++)
            {
                acked.Add(await log.AppendAsync(TestRecords.Make(0, i)));
            }

            Assert.Equal(LogState.Healthy, log.State);
            // A position from the failed batch stays failed even after later records commit past it.
            await Assert.ThrowsAsync<LogFullException>(async () => await log.WaitForCommitAsync(discarded));
        }

        await using var reopened = DurableLog.Open(TestRecords.Options(temp.Path));
        Assert.Equal(0, reopened.Recovery.TornBytesTruncated);
        var all = TestRecords.ReadAll(reopened);
        Assert.Equal(acked, all.Select(r => r.Position));
        Assert.Equal(Enumerable.Range(0, 200), all.Select(r => TestRecords.Parse(r.Payload).Sequence));
        Assert.All(all, r => Assert.Equal(0, TestRecords.Parse(r.Payload).Writer));
    }

    [Fact]
    public async Task A_failed_fsync_fails_every_pending_and_later_append_and_is_never_retried()
    {
        using var temp = new TempDirectory();
        var fs = new FaultyFileSystem();
        var acked = new List<long>();
        await using (var log = DurableLog.Open(TestRecords.Options(temp.Path) with { FileSystem = fs }))
        {
            for (var i = 0; i < 10; i++)
            {
                acked.Add(await log.AppendAsync(TestRecords.Make(0, i)));
            }

            fs.SyncErrno = NativeMethods.EIO;
            var pending = Enumerable.Range(0, 4).Select(i => log.AppendAsync(TestRecords.Make(1, i)).AsTask()).ToArray();
            foreach (var append in pending)
            {
                await Assert.ThrowsAsync<LogFailedException>(() => append);
            }

            Assert.Equal(LogState.Failed, log.State);
            var syncs = fs.SyncCalls;
            fs.SyncErrno = 0; // even if the disk "recovers", the log does not retry
            Assert.Throws<LogFailedException>(() => log.TryEnqueue(TestRecords.Make(2, 0), out _));
            await Assert.ThrowsAsync<LogFailedException>(async () => await log.AppendAsync(TestRecords.Make(2, 1)));
            Assert.Equal(syncs, fs.SyncCalls);
            Assert.Equal(LogState.Failed, log.State);
        }

        // Reopening reads back what is really on disk: every acknowledged record is there.
        await using var reopened = DurableLog.Open(TestRecords.Options(temp.Path));
        var all = TestRecords.ReadAll(reopened);
        Assert.Equal(acked, all.Take(acked.Count).Select(r => r.Position));
    }

    [Fact]
    public async Task A_full_filesystem_fails_appends_keeps_the_log_consistent_and_recovers_when_space_is_freed()
    {
        using var temp = new TempDirectory();
        var mountPoint = temp.Combine("small");
        Directory.CreateDirectory(mountPoint);
        if (!Run("mount", $"-t tmpfs -o size=1m tmpfs {mountPoint}"))
        {
            // No mount here (not root, or no CAP_SYS_ADMIN): say so, and prove the same behaviour with an injected fault.
            output.WriteLine("mount -t tmpfs is not possible here; the disk-full behaviour is checked with an injected ENOSPC instead.");
            await When_a_write_hits_ENOSPC_appends_fail_with_LogFullException_and_succeed_again_once_space_is_back();
            return;
        }

        try
        {
            var options = TestRecords.Options(Path.Combine(mountPoint, "log"), segmentBytes: 128 << 10, maxBatchBytes: 32 << 10);
            var ballast = Path.Combine(mountPoint, "ballast");
            await File.WriteAllBytesAsync(ballast, new byte[600 << 10]);
            var acked = new List<(long Position, int Sequence)>();
            await using (var log = DurableLog.Open(options))
            {
                var sequence = 0;
                LogFullException? full = null;
                while (full is null && sequence < 2000)
                {
                    try
                    {
                        acked.Add((await log.AppendAsync(TestRecords.Make(0, sequence, 1000)), sequence));
                    }
                    catch (LogFullException e)
                    {
                        full = e;
                    }

                    sequence++;
                }

                Assert.NotNull(full);
                Assert.Equal(LogState.DiskFull, log.State);
                output.WriteLine($"disk full after {acked.Count} records");
                await Assert.ThrowsAsync<LogFullException>(async () => await log.AppendAsync(TestRecords.Make(0, sequence++, 1000)));

                File.Delete(ballast);
                for (var i = 0; i < 50; i++, sequence++)
                {
                    acked.Add((await log.AppendAsync(TestRecords.Make(0, sequence, 1000)), sequence));
                }

                Assert.Equal(LogState.Healthy, log.State);
            }

            await using var reopened = DurableLog.Open(options);
            var all = TestRecords.ReadAll(reopened);
            Assert.Equal(acked.Select(a => a.Position), all.Select(r => r.Position));
            Assert.Equal(acked.Select(a => a.Sequence), all.Select(r => TestRecords.Parse(r.Payload).Sequence));
        }
        finally
        {
            Assert.True(Run("umount", mountPoint), "umount failed");
        }
    }

    private static bool Run(string command, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true });
            process!.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
