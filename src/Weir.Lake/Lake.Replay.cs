using Microsoft.Extensions.Logging;
using Weir.Core.IO;
using Weir.Lake.Loading;
using Weir.Log;

namespace Weir.Lake;

/// <summary>What <see cref="Lake.ReplayAsync"/> did.</summary>
/// <param name="Records">Records read from the raw zone and the log.</param>
/// <param name="Rows">Rows in the rebuilt lake.</param>
/// <param name="Files">Files in the rebuilt lake.</param>
/// <param name="Watermark">The log position the rebuilt lake has loaded up to.</param>
/// <param name="Duration">The whole replay.</param>
public sealed record ReplayResult(long Records, long Rows, int Files, long Watermark, TimeSpan Duration);

public sealed partial class Lake
{
    private const string ReplayDirectoryName = ".replay";

    /// <summary>
    /// Rebuilds the lake from every record the raw zone and the log still hold: a new lake is built beside the old one
    /// (flushed, then compacted), and only when it is complete does it take the old one's place. Run it while nothing
    /// else uses the data folder (the caller holds the log open, which locks it against a server).
    /// </summary>
    /// <remarks>
    /// The loader's decisions depend only on the records (the de-duplication window counts the records' own received
    /// times), and compaction keeps the copy received first, so the rebuilt lake holds the same rows as a compacted lake
    /// that loaded the same records. Erased records are tombstones in the log and the raw zone and stay erased; the
    /// erasure jobs' records are carried over. If the replay is interrupted, the old lake is untouched (or, during the
    /// final swap, found at <c>lake.replaced</c>): run it again.
    /// </remarks>
    public static async Task<ReplayResult> ReplayAsync(LakeOptions options, DurableLog log, IProgress<long>? progress = null,
        ILoggerFactory? loggerFactory = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        time ??= TimeProvider.System;
        var started = time.GetTimestamp();
        var layout = new LakeLayout(options.DataDirectory);
        var staging = layout.Root + ReplayDirectoryName;
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }

        long records = 0;
        ReplayResult result;
        var stagingOptions = options with { DataDirectory = staging, BackgroundMaintenance = false, GracePeriod = TimeSpan.Zero };
        var lake = Open(stagingOptions, log: null, loggerFactory, time);
        await using (lake.ConfigureAwait(false))
        {
            using (var replay = log.OpenReplay())
            {
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var batch = replay.Read(options.ReadBatch);
                    if (batch.Count == 0)
                    {
                        break;
                    }

                    lake._loader.Load(batch);
                    records += batch.Count;
                    if (lake._loader.HotRows >= options.FlushRows)
                    {
                        lake._loader.Flush();
                    }

                    progress?.Report(records);
                }
            }

            lake._loader.Flush();
            await lake.CompactAsync(cancellationToken).ConfigureAwait(false);
            await lake.SweepAsync().ConfigureAwait(false);
            var catalog = lake.Catalog;
            long rows = 0;
            foreach (var file in catalog.Files)
            {
                rows += file.Rows;
            }

            result = new ReplayResult(records, rows, catalog.Files.Count, catalog.Watermark, TimeSpan.Zero);
        }

        // The erasure jobs' records (without identifiers once done) belong to the lake's history.
        var erasures = Path.Combine(layout.Root, ErasureDirectoryName);
        var rebuilt = Path.Combine(staging, LakeLayout.LakeDirectoryName);
        if (Directory.Exists(erasures))
        {
            Directory.CreateDirectory(Path.Combine(rebuilt, ErasureDirectoryName));
            foreach (var path in Directory.GetFiles(erasures))
            {
                File.Copy(path, Path.Combine(rebuilt, ErasureDirectoryName, Path.GetFileName(path)));
            }
        }

        DurableFile.SyncDirectories(rebuilt, staging);
        var replaced = layout.Root + ".replaced";
        if (Directory.Exists(replaced))
        {
            Directory.Delete(replaced, recursive: true);
        }

        if (Directory.Exists(layout.Root))
        {
            Directory.Move(layout.Root, replaced);
        }

        Directory.Move(rebuilt, layout.Root);
        DurableFile.SyncDirectory(options.DataDirectory);
        if (Directory.Exists(replaced))
        {
            Directory.Delete(replaced, recursive: true);
        }

        Directory.Delete(staging, recursive: true);

        // The loader goes on from the end of the replay; the log may forget what the rebuilt lake holds.
        log.RegisterConsumer(LakeLoader.ConsumerName);
        log.Checkpoint(LakeLoader.ConsumerName, result.Watermark);
        return result with { Duration = time.GetElapsedTime(started) };
    }
}
