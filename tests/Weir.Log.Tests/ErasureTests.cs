using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Weir.Log.Format;
using Xunit.Abstractions;

namespace Weir.Log.Tests;

/// <summary>
/// Erasure: matching records become tombstones (spaces, same length) in closed segments, in the active one while appends
/// go on, and in the raw zone; positions never move; files are replaced atomically, and a kill -9 mid-erasure leaves
/// every record (old or erased) and an erasure that simply runs again.
/// </summary>
public class ErasureTests(ITestOutputHelper output)
{
    [Fact]
    public void A_tombstone_is_all_spaces_with_a_valid_checksum_and_only_it_counts_as_erased()
    {
        var payload = Event(1, "SECRET-x-SECRET", 120);
        var frame = new byte[SegmentFormat.FrameHeaderLength + payload.Length];
        SegmentFormat.WriteFrame(frame, payload, Crc32C.ComputeFrame(payload));

        LogTombstone.Overwrite(frame);

        Assert.Equal(FrameStatus.Valid, SegmentFormat.TryReadFrame(frame, 1 << 20, out var length));
        Assert.Equal(payload.Length, length);
        Assert.All(frame[SegmentFormat.FrameHeaderLength..], b => Assert.Equal(0x20, b));
        Assert.True(LogTombstone.IsErased(frame.AsSpan(SegmentFormat.FrameHeaderLength)));
        Assert.False(LogTombstone.IsErased(payload));
        Assert.False(LogTombstone.IsErased([]));
    }

    [Fact]
    public async Task Matching_records_in_closed_segments_become_tombstones_of_the_same_length_at_the_same_positions()
    {
        using var temp = new TempDirectory();
        const string secret = "SECRET-closed-SECRET";
        await using var log = DurableLog.Open(TestRecords.Options(temp.Path, segmentBytes: 4096, maxBatchBytes: 4096) with { MaxRecordBytes = 1000 });
        for (var i = 0; i < 200; i++)
        {
            await log.AppendAsync(Event(i, i % 7 == 0 ? secret : null, 100 + i % 300));
        }

        // Enough plain records after the last match that the active segment holds none: it must be left alone.
        for (var i = 200; i < 240; i++)
        {
            await log.AppendAsync(Event(i, null, 250));
        }

        var before = TestRecords.ReadAll(log);
        var segments = log.Segments;
        var active = segments[^1];
        Assert.DoesNotContain(before, r => r.Position >= active.BasePosition && Contains(r.Payload, secret));
        var expectedFiles = before.Where(r => Contains(r.Payload, secret))
            .Select(r => segments.Last(s => s.BasePosition <= r.Position).Path).Distinct().Count();
        var activeBytes = await File.ReadAllBytesAsync(active.Path);
        Assert.True(CountFilesContaining(secret, temp.Path) > 1);

        var result = await log.EraseAsync(Containing(secret));

        Assert.Equal(before.Count(r => Contains(r.Payload, secret)), result.RecordsErased);
        Assert.Equal(240, result.RecordsScanned);
        Assert.Equal(expectedFiles, result.FilesRewritten);
        Assert.Equal(segments.Length, result.FilesScanned);
        Assert.Equal(log.CommittedPosition, result.EndPosition);
        Assert.Equal(segments.Length, log.Segments.Length); // nothing to erase in the active segment: it was not closed
        Assert.Equal(activeBytes, await File.ReadAllBytesAsync(active.Path));
        AssertErased(before, TestRecords.ReadAll(log), secret);
        Assert.Equal(0, CountFilesContaining(secret, temp.Path));
    }

    [Fact]
    public async Task Erasing_in_the_active_segment_while_appends_go_on_loses_nothing_and_moves_nothing()
    {
        using var temp = new TempDirectory();
        const string secret = "SECRET-active-SECRET";
        // Segments far larger than this test writes: the only segment that can close is the one the erasure closes.
        await using var log = DurableLog.Open(TestRecords.Options(temp.Path, segmentBytes: 16 << 20, maxBatchBytes: 64 << 10));
        var before = new List<(long Position, byte[] Payload)>();
        for (var i = 0; i < 60; i++)
        {
            var payload = Event(i, i % 3 == 0 ? secret : null, 100 + i * 5);
            before.Add((await log.AppendAsync(payload), payload));
        }

        Assert.Single(log.Segments);
        var appended = new List<(long Position, byte[] Payload)>[2];
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var total = 0;
        var erased = 0;
        var writers = Enumerable.Range(0, appended.Length).Select(w => Task.Run(async () =>
        {
            var mine = new List<(long Position, byte[] Payload)>();
            appended[w] = mine;
            var stopAt = -1;
            for (var n = 0; stopAt < 0 || n < stopAt; n++)
            {
                // Keep appending for a while after the erasure returned, so records land on both sides of the new segment.
                if (stopAt < 0 && Volatile.Read(ref erased) == 1)
                {
                    stopAt = n + 50;
                }

                var payload = Event(100_000 * (w + 1) + n, null, 80 + n % 300);
                mine.Add((await log.AppendAsync(payload), payload));
                if (Interlocked.Increment(ref total) == 200)
                {
                    enough.TrySetResult();
                }
            }
        })).ToArray();

        await enough.Task;
        var committedAtStart = log.CommittedPosition;
        var result = await log.EraseAsync(Containing(secret));
        Volatile.Write(ref erased, 1);
        await Task.WhenAll(writers);

        Assert.Equal(20, result.RecordsErased);
        Assert.Equal(1, result.FilesRewritten);
        Assert.True(result.EndPosition >= committedAtStart);
        var segments = log.Segments;
        Assert.Equal(2, segments.Length);
        var newBase = segments[1].BasePosition;
        Assert.Contains(appended.SelectMany(a => a), r => r.Position < newBase);
        Assert.Contains(appended.SelectMany(a => a), r => r.Position >= newBase);

        var all = TestRecords.ReadAll(log);
        var written = before.Concat(appended.SelectMany(a => a)).OrderBy(r => r.Position).ToList();
        AssertErased(written, all, secret);
        foreach (var mine in appended)
        {
            Assert.All(mine, r => Assert.False(LogTombstone.IsErased(r.Payload)));
        }

        Assert.Equal(0, CountFilesContaining(secret, temp.Path));
    }

    [Fact]
    public async Task Erasure_reaches_the_raw_zone_and_a_segment_both_archived_and_live_and_replay_keeps_every_position()
    {
        using var temp = new TempDirectory();
        const string secret = "SECRET-raw-SECRET";
        var raw = temp.Combine("raw");
        var logDirectory = temp.Combine("log");
        await using var log = DurableLog.Open(ArchivingOptions(logDirectory, raw));
        await WriteAndArchiveAsync(log, 300, i => i % 5 == 0 ? secret : null);

        // A crash between archiving a segment and deleting it leaves it in both places: both copies must be erased.
        var oldestLive = log.Segments[0];
        var duplicate = Path.Combine(raw, DurableLog.ArchiveFileName(oldestLive.BasePosition, oldestLive.SealedEnd));
        await using (var source = File.OpenRead(oldestLive.Path))
        await using (var target = new GZipStream(File.Create(duplicate), CompressionLevel.Fastest))
        {
            await source.CopyToAsync(target);
        }

        var before = Replay(log);
        Assert.Equal(300, before.Count);
        var inDuplicate = before.Count(r => r.Position >= oldestLive.BasePosition && r.Position < oldestLive.SealedEnd && Contains(r.Payload, secret));
        Assert.True(inDuplicate > 0);
        Assert.True(CountFilesContaining(secret, raw) > 1);
        Assert.True(CountFilesContaining(secret, logDirectory) > 1);
        var archiveNames = Directory.GetFiles(raw).Order().ToArray();

        var result = await log.EraseAsync(Containing(secret));

        Assert.Equal(60 + inDuplicate, result.RecordsErased);
        Assert.Equal(300 + before.Count(r => r.Position >= oldestLive.BasePosition && r.Position < oldestLive.SealedEnd), result.RecordsScanned);
        AssertErased(before, Replay(log), secret);
        Assert.Equal(archiveNames, Directory.GetFiles(raw).Order().ToArray());
        Assert.Equal(0, CountFilesContaining(secret, raw, logDirectory));
    }

    [Fact]
    public async Task An_idle_log_closes_its_active_segment_for_an_erasure_and_appends_continue_after_it()
    {
        using var temp = new TempDirectory();
        const string secret = "SECRET-idle-SECRET";
        await using var log = DurableLog.Open(TestRecords.Options(temp.Path));
        for (var i = 0; i < 20; i++)
        {
            await log.AppendAsync(Event(i, i % 2 == 0 ? secret : null, 150));
        }

        var before = TestRecords.ReadAll(log);
        var end = log.CommittedPosition;
        Assert.Single(log.Segments);

        // Nothing is appended while the erasure runs: the flusher must close the segment without a batch to write.
        var result = await log.EraseAsync(Containing(secret)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(10, result.RecordsErased);
        Assert.Equal(end, result.EndPosition);
        Assert.Equal(2, log.Segments.Length);
        Assert.Equal(end, log.Segments[1].BasePosition);
        Assert.Equal(end, log.CommittedPosition);
        AssertErased(before, TestRecords.ReadAll(log), secret);
        var next = Event(20, null, 150);
        Assert.Equal(end, await log.AppendAsync(next));
        Assert.Equal(next, TestRecords.ReadAll(log, end).Single().Payload);
    }

    [Fact]
    public async Task When_nothing_matches_no_file_is_rewritten_and_no_segment_is_closed()
    {
        using var temp = new TempDirectory();
        var raw = temp.Combine("raw");
        var logDirectory = temp.Combine("log");
        await using var log = DurableLog.Open(ArchivingOptions(logDirectory, raw));
        await WriteAndArchiveAsync(log, 300, i => i % 5 == 0 ? "SECRET-kept-SECRET" : null);
        var liveSegments = log.Segments.Length;
        var archives = Directory.GetFiles(raw).Length;
        Assert.True(archives > 0);

        // Every file gets an old timestamp: a rewritten file would carry the time of its rewrite.
        var old = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var files = Directory.GetFiles(temp.Path, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != "LOCK").Order().ToArray();
        var contents = new Dictionary<string, byte[]>();
        foreach (var file in files)
        {
            File.SetLastWriteTimeUtc(file, old);
            contents[file] = ReadShared(file);
        }

        var result = await log.EraseAsync(Containing("SECRET-absent-SECRET"));

        Assert.Equal(0, result.RecordsErased);
        Assert.Equal(0, result.FilesRewritten);
        Assert.Equal(300, result.RecordsScanned);
        Assert.Equal(liveSegments + archives, result.FilesScanned);
        Assert.Equal(liveSegments, log.Segments.Length);
        Assert.Equal(files, Directory.GetFiles(temp.Path, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != "LOCK").Order().ToArray());
        foreach (var file in files)
        {
            Assert.Equal(old, File.GetLastWriteTimeUtc(file));
            Assert.Equal(contents[file], ReadShared(file));
        }
    }

    [Fact]
    public async Task A_log_reopened_after_an_erasure_recovers_to_the_same_end_and_the_same_erasure_again_changes_nothing()
    {
        using var temp = new TempDirectory();
        const string secret = "SECRET-reopen-SECRET";
        var options = TestRecords.Options(temp.Path, segmentBytes: 4096, maxBatchBytes: 4096) with { MaxRecordBytes = 1000 };
        List<(long Position, byte[] Payload)> before;
        long end;
        var first = DurableLog.Open(options);
        await using (var log = first)
        {
            for (var i = 0; i < 100; i++)
            {
                await log.AppendAsync(Event(i, i % 4 == 1 ? secret : null, 120 + i));
            }

            before = TestRecords.ReadAll(log);
            end = log.CommittedPosition;
            Assert.Equal(25, (await log.EraseAsync(Containing(secret))).RecordsErased);
        }

        await Assert.ThrowsAsync<ObjectDisposedException>(() => first.EraseAsync(Containing(secret)));

        await using (var log = DurableLog.Open(options))
        {
            Assert.Equal(end, log.Recovery.EndPosition);
            Assert.Equal(100, log.Recovery.RecordsRecovered);
            Assert.Equal(0, log.Recovery.TornBytesTruncated);
            Assert.Null(log.Recovery.Corruption);
            AssertErased(before, TestRecords.ReadAll(log), secret);

            var again = await log.EraseAsync(Containing(secret));
            Assert.Equal(0, again.RecordsErased);
            Assert.Equal(0, again.FilesRewritten);
            Assert.Equal(100, again.RecordsScanned);
            Assert.Equal(end, await log.AppendAsync(Event(100, null, 120)));
        }
    }

    [Fact]
    public async Task Leftover_temporary_copies_are_deleted_at_open_and_by_the_next_erasure()
    {
        using var temp = new TempDirectory();
        const string secret = "SECRET-leftover-SECRET";
        var raw = temp.Combine("raw");
        var logDirectory = temp.Combine("log");
        var options = ArchivingOptions(logDirectory, raw);
        string archive;
        await using (var log = DurableLog.Open(options))
        {
            await WriteAndArchiveAsync(log, 100, _ => null);
            archive = Directory.GetFiles(raw).Order().First();
        }

        // What a kill -9 in the middle of an erasure (or of archiving) leaves behind, holding a record since erased.
        var leftovers = new[]
        {
            Path.Combine(logDirectory, SegmentFormat.FileName(0) + DurableLog.ErasureTempExtension),
            archive + DurableLog.ErasureTempExtension,
            archive + SegmentFormat.TempExtension,
        };
        foreach (var leftover in leftovers)
        {
            await File.WriteAllBytesAsync(leftover, Event(0, secret, 200));
        }

        var unrelated = Path.Combine(raw, "notes.tmp");
        await File.WriteAllTextAsync(unrelated, "not the log's");

        await using (var log = DurableLog.Open(options))
        {
            Assert.Equal(3, log.Recovery.TemporaryFilesDeleted);
            Assert.All(leftovers, f => Assert.False(File.Exists(f)));
            Assert.True(File.Exists(unrelated));

            await File.WriteAllBytesAsync(leftovers[1], Event(0, secret, 200));
            var result = await log.EraseAsync(Containing(secret));
            Assert.Equal(0, result.RecordsErased);
            Assert.False(File.Exists(leftovers[1]));
        }

        Assert.Equal(0, CountFilesContaining(secret, raw, logDirectory));
    }

    [Fact]
    public async Task Concurrent_erasures_and_retention_keep_every_record_once_and_erase_every_match()
    {
        using var temp = new TempDirectory();
        var raw = temp.Combine("raw");
        var logDirectory = temp.Combine("log");
        string[] secrets = ["SECRET-a-SECRET", "SECRET-b-SECRET", "SECRET-c-SECRET"];
        await using var log = DurableLog.Open(ArchivingOptions(logDirectory, raw));
        log.RegisterConsumer("loader");
        for (var i = 0; i < 300; i++)
        {
            await log.AppendAsync(Event(i, i % 4 < 3 ? secrets[i % 4] : null, 100 + i % 250));
        }

        var before = Replay(log);
        var retention = Task.Run(async () =>
        {
            using var reader = log.OpenReader("loader");
            for (var batch = reader.Read(25); batch.Count > 0; batch = reader.Read(25))
            {
                log.Checkpoint("loader", reader.Position);
                await log.RunRetentionAsync();
            }
        });
        var erasures = secrets.Select(s => Task.Run(() => log.EraseAsync(Containing(s)))).ToArray();
        await retention;
        var results = await Task.WhenAll(erasures);

        Assert.All(results, r => Assert.Equal(75, r.RecordsErased));
        Assert.NotEmpty(Directory.GetFiles(raw, "*.wlog.gz"));
        var after = Replay(log);
        Assert.Equal(before.Select(r => r.Position), after.Select(r => r.Position));
        for (var i = 0; i < before.Count; i++)
        {
            if (secrets.Any(s => Contains(before[i].Payload, s)))
            {
                AssertTombstone(before[i].Payload.Length, after[i].Payload);
            }
            else
            {
                Assert.Equal(before[i].Payload, after[i].Payload);
            }
        }

        Assert.All(secrets, s => Assert.Equal(0, CountFilesContaining(s, raw, logDirectory)));
        Assert.Empty(Directory.GetFiles(temp.Path, "*.tmp", SearchOption.AllDirectories));
    }

    private const int CrashGroups = 6;

    [Fact]
    public async Task An_erasure_killed_at_random_moments_leaves_every_record_and_runs_again_to_completion()
    {
        var child = CrashTests.ChildPath();
        Assert.True(File.Exists(child), $"the crash child is not built at {child}");
        using var temp = new TempDirectory();
        var template = temp.Combine("template");
        var expected = await WriteCrashTemplateAsync(template);
        var end = expected[^1].Position + SegmentFormat.FrameHeaderLength + expected[^1].Payload.Length;
        var random = new Random(20250611);
        int iterations = 8, partial = 0, leftovers = 0;
        for (var run = 0; run < iterations; run++)
        {
            var directory = temp.Combine($"run{run}");
            CopyDirectory(template, directory);
            var options = CrashOptions(directory);

            // Odd runs are killed as the child creates its n-th temporary copy, so in the middle of replacing a file. Even
            // runs after the n-th line: lines come in pairs ("erasing g", "erased g ..."), and a kill after either lands
            // somewhere inside an erasure.
            var lines = run % 2 == 1
                ? await RunEraseChildAndKillAsync(child, options, killAfterLines: 2 * CrashGroups + 2, killAtTemporary: random.Next(1, 40))
                : await RunEraseChildAndKillAsync(child, options, killAfterLines: random.Next(1, 2 * CrashGroups + 1), killAtTemporary: 0);
            var started = lines.Where(l => l.StartsWith("erasing ", StringComparison.Ordinal)).Select(l => int.Parse(l.Split(' ')[1], CultureInfo.InvariantCulture)).ToList();
            var finished = lines.Where(l => l.StartsWith("erased ", StringComparison.Ordinal)).Select(l => int.Parse(l.Split(' ')[1], CultureInfo.InvariantCulture)).ToHashSet();
            Assert.NotEmpty(started);
            var inFlight = started.Max();

            await using (var log = DurableLog.Open(options))
            {
                Assert.Equal(end, log.Recovery.EndPosition);
                leftovers += log.Recovery.TemporaryFilesDeleted > 0 ? 1 : 0;
                Assert.Empty(Directory.GetFiles(directory, "*.tmp", SearchOption.AllDirectories));

                // Every record is there, at its position, either as written or erased, and only erasures that began erased.
                var records = Replay(log);
                Assert.Equal(expected.Select(r => r.Position), records.Select(r => r.Position));
                var erasedInFlight = 0;
                for (var i = 0; i < expected.Count; i++)
                {
                    var group = CrashGroup(i);
                    if (records[i].Payload.AsSpan().SequenceEqual(expected[i].Payload))
                    {
                        Assert.DoesNotContain(group, finished);
                    }
                    else
                    {
                        AssertTombstone(expected[i].Payload.Length, records[i].Payload);
                        Assert.True(group <= inFlight, $"record {i} of group {group} was erased, but only groups up to {inFlight} were");
                        erasedInFlight += group == inFlight ? 1 : 0;
                    }
                }

                var inGroup = Enumerable.Range(0, expected.Count).Count(i => CrashGroup(i) == inFlight);
                partial += erasedInFlight > 0 && erasedInFlight < inGroup ? 1 : 0;

                // The interrupted erasure runs again to the end.
                var markers = Enumerable.Range(0, Math.Min(inFlight, CrashGroups - 1) + 1).Select(g => Encoding.UTF8.GetBytes(CrashMarker(g))).ToArray();
                await log.EraseAsync(payload =>
                {
                    foreach (var marker in markers)
                    {
                        if (payload.IndexOf(marker) >= 0)
                        {
                            return true;
                        }
                    }

                    return false;
                });
                records = Replay(log);
                for (var i = 0; i < expected.Count; i++)
                {
                    if (CrashGroup(i) <= inFlight)
                    {
                        AssertTombstone(expected[i].Payload.Length, records[i].Payload);
                    }
                    else
                    {
                        Assert.Equal(expected[i].Payload, records[i].Payload);
                    }
                }
            }

            for (var group = 0; group < CrashGroups; group++)
            {
                var files = CountFilesContaining(CrashMarker(group), directory);
                Assert.True(group <= inFlight ? files == 0 : files > 0, $"group {group}: {files} files hold its marker (groups up to {inFlight} were erased)");
            }
        }

        output.WriteLine($"{iterations} kills: {partial} inside the erasure of a group (part of it erased), {leftovers} left temporary files for the next open to delete");
    }

    /// <summary>Writes the crash test's log once (every run starts from a copy): archives, closed segments and an active one.</summary>
    private static async Task<List<(long Position, byte[] Payload)>> WriteCrashTemplateAsync(string directory)
    {
        await using var log = DurableLog.Open(CrashOptions(directory));
        log.RegisterConsumer("loader");
        var batch = new ReadOnlyMemory<byte>[10];
        var random = new Random(7);
        for (var i = 0; i < 600; i += batch.Length)
        {
            for (var j = 0; j < batch.Length; j++)
            {
                batch[j] = Event(i + j, CrashMarker(CrashGroup(i + j)), 100 + random.Next(600));
            }

            await log.AppendBatchAsync(batch);
        }

        var records = Replay(log);
        log.Checkpoint("loader", records[300].Position);
        await log.RunRetentionAsync();
        Assert.NotEmpty(Directory.GetFiles(log.Options.ArchiveDirectory!, "*.wlog.gz"));
        Assert.True(log.Segments.Length > 3);
        return records;
    }

    private static int CrashGroup(int sequence) => sequence % CrashGroups;

    private static string CrashMarker(int group) => string.Create(CultureInfo.InvariantCulture, $"SECRET-{group}-SECRET");

    /// <summary>The options of the child's erasure mode (ErasureChild.Options in tests/Weir.Log.CrashChild).</summary>
    private static LogOptions CrashOptions(string directory) => new()
    {
        Directory = Path.Combine(directory, "log"),
        ArchiveDirectory = Path.Combine(directory, "raw"),
        SegmentBytes = 16 << 10,
        MaxBatchBytes = 16 << 10,
        MaxRecordBytes = 4 << 10,
    };

    /// <summary>
    /// Runs the child's erasure mode and kills it (SIGKILL) once it has printed <paramref name="killAfterLines"/> lines after
    /// "ready", or as soon as the file system reports its <paramref name="killAtTemporary"/>-th temporary copy (when not 0).
    /// Returns the complete lines it printed.
    /// </summary>
    private static async Task<List<string>> RunEraseChildAndKillAsync(string child, LogOptions options, int killAfterLines, int killAtTemporary)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(child);
        start.ArgumentList.Add("erase");
        start.ArgumentList.Add(options.Directory);
        start.ArgumentList.Add(options.ArchiveDirectory!);
        using var process = Process.Start(start)!;
        var killed = false;
        var killLock = new Lock();
        void Kill()
        {
            lock (killLock)
            {
                if (!killed)
                {
                    process.Kill(); // SIGKILL on Unix
                    killed = true;
                }
            }
        }

        var temporaries = 0;
        using var watchLog = new FileSystemWatcher(options.Directory, "*" + DurableLog.ErasureTempExtension);
        using var watchRaw = new FileSystemWatcher(options.ArchiveDirectory!, "*" + DurableLog.ErasureTempExtension);
        foreach (var watcher in new[] { watchLog, watchRaw })
        {
            watcher.Created += (_, _) =>
            {
                if (Interlocked.Increment(ref temporaries) == killAtTemporary)
                {
                    Kill();
                }
            };
            watcher.EnableRaisingEvents = killAtTemporary > 0;
        }

        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.BaseStream;
        var lines = new List<string>();
        var pending = new StringBuilder();
        var buffer = new byte[4096];
        var ready = false;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
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
                if (line == "ready")
                {
                    ready = true;
                }
                else if (ready)
                {
                    lines.Add(line);
                }
            }

            pending.Clear().Append(text[(last + 1)..]);
            if (lines.Count >= killAfterLines)
            {
                Kill();
            }
        }

        await process.WaitForExitAsync(timeout.Token);
        Assert.True(killed, $"the child exited by itself (code {process.ExitCode}): {await stderr}");
        return lines;
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        foreach (var directory in Directory.GetDirectories(source))
        {
            CopyDirectory(directory, Path.Combine(target, Path.GetFileName(directory)));
        }
    }

    private static LogOptions ArchivingOptions(string directory, string archiveDirectory) =>
        TestRecords.Options(directory, segmentBytes: 4096, maxBatchBytes: 4096) with { MaxRecordBytes = 1000, ArchiveDirectory = archiveDirectory };

    /// <summary>Appends <paramref name="count"/> events, then archives and deletes the segments holding the first half.</summary>
    private static async Task WriteAndArchiveAsync(DurableLog log, int count, Func<int, string?> secret)
    {
        log.RegisterConsumer("loader");
        var positions = new long[count];
        for (var i = 0; i < count; i++)
        {
            positions[i] = await log.AppendAsync(Event(i, secret(i), 100 + i % 250));
        }

        log.Checkpoint("loader", positions[count / 2]);
        await log.RunRetentionAsync();
        Assert.NotEmpty(Directory.GetFiles(log.Options.ArchiveDirectory!, "*.wlog.gz"));
        Assert.True(log.StartPosition > 0);
    }

    /// <summary>A UTF-8 JSON object of about <paramref name="length"/> bytes, holding <paramref name="secret"/> if given.</summary>
    private static byte[] Event(int sequence, string? secret, int length)
    {
        var head = "{\"seq\":" + sequence.ToString(CultureInfo.InvariantCulture)
            + (secret is null ? "" : ",\"secret\":\"" + secret + "\"") + ",\"pad\":\"";
        return Encoding.UTF8.GetBytes(head + new string('x', Math.Max(1, length - head.Length - 2)) + "\"}");
    }

    private static LogPayloadPredicate Containing(string marker)
    {
        var bytes = Encoding.UTF8.GetBytes(marker);
        return payload => payload.IndexOf(bytes) >= 0;
    }

    private static bool Contains(byte[] payload, string marker) => payload.AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker)) >= 0;

    /// <summary>The same records at the same positions; those holding <paramref name="secret"/> are tombstones, the rest unchanged.</summary>
    private static void AssertErased(List<(long Position, byte[] Payload)> before, List<(long Position, byte[] Payload)> after, string secret)
    {
        Assert.Equal(before.Select(r => r.Position), after.Select(r => r.Position));
        for (var i = 0; i < before.Count; i++)
        {
            if (Contains(before[i].Payload, secret))
            {
                AssertTombstone(before[i].Payload.Length, after[i].Payload);
            }
            else
            {
                Assert.Equal(before[i].Payload, after[i].Payload);
            }
        }
    }

    private static void AssertTombstone(int length, byte[] payload)
    {
        Assert.Equal(length, payload.Length);
        Assert.True(LogTombstone.IsErased(payload));
        Assert.True(payload.AsSpan().IndexOfAnyExcept(LogTombstone.Filler) < 0, "a tombstone holds only spaces");
    }

    /// <summary>Every record of the raw zone and the live log, through the replay reader.</summary>
    private static List<(long Position, byte[] Payload)> Replay(DurableLog log)
    {
        var records = new List<(long, byte[])>();
        using var replay = log.OpenReplay();
        for (var batch = replay.Read(100); batch.Count > 0; batch = replay.Read(100))
        {
            foreach (var record in batch)
            {
                records.Add((record.Position, record.Payload.ToArray()));
            }
        }

        return records;
    }

    /// <summary>How many files under the directories hold <paramref name="marker"/>, looking inside gzip files too.</summary>
    private static int CountFilesContaining(string marker, params string[] directories)
    {
        var needle = Encoding.UTF8.GetBytes(marker);
        var count = 0;
        foreach (var directory in directories)
        {
            foreach (var file in Directory.GetFiles(directory, "*", SearchOption.AllDirectories))
            {
                if (Path.GetFileName(file) == "LOCK")
                {
                    continue; // held exclusively by an open log, and always empty
                }

                var bytes = ReadShared(file);
                if (bytes.Length > 2 && BinaryPrimitives.ReadUInt16LittleEndian(bytes) == 0x8b1f)
                {
                    using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                    using var plain = new MemoryStream();
                    gzip.CopyTo(plain);
                    bytes = plain.ToArray();
                }

                count += bytes.AsSpan().IndexOf(needle) >= 0 ? 1 : 0;
            }
        }

        return count;
    }

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
