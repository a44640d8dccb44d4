using System.Diagnostics;
using System.IO.Compression;
using Weir.Log.Format;
using Weir.Log.Logging;

namespace Weir.Log;

/// <summary>
/// Erasure (GDPR): replacing the payload of chosen records with a tombstone of the same length, in the log directory and
/// in the raw zone. See docs/log.md, "Erasure".
/// </summary>
public sealed partial class DurableLog
{
    /// <summary>The suffix of an erasure's temporary copy. It ends in <c>.tmp</c>, so recovery deletes a leftover one.</summary>
    internal const string ErasureTempExtension = ".erase" + SegmentFormat.TempExtension;

    // Erasure and retention both replace or remove closed segments and archives, so they take turns.
    private readonly SemaphoreSlim _maintenance = new(1, 1);

    /// <summary>
    /// Replaces the payload of every committed record for which <paramref name="match"/> returns true with a tombstone (see
    /// <see cref="LogTombstone"/>): in every segment of the log directory, including the one being appended to, and in every
    /// archive of the raw zone. Positions, lengths and everything else stay as they were.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Every file holding a match is rewritten whole: a copy with the tombstones (checksums recomputed) is written to a
    /// temporary file and fsync'd, renamed over the original, and the directory fsync'd. So a crash leaves the old file or
    /// the new one, never neither, and a leftover temporary file is deleted by the next open or erasure. Files without a
    /// match are not touched. When the segment being appended to holds a match, the flusher first closes it and starts a new
    /// one, since a closed segment is never written again; appends go on meanwhile.
    /// </para>
    /// <para>
    /// Records already erased are not passed to <paramref name="match"/>, so running the same erasure again changes
    /// nothing. Records appended after the erasure started may not be examined (see <see cref="LogErasureResult.EndPosition"/>).
    /// Erasures, and retention, run one at a time.
    /// </para>
    /// <para>
    /// A reader that already holds a segment open (a <see cref="LogReader"/> positioned inside it, or a replay inside an
    /// archive) keeps reading the file it opened, with the old bytes, until it moves on to the next file; a batch it already
    /// returned is not changed either. The old file's blocks are freed only once no reader has it open. A consumer that must
    /// never see an erased record after the erasure returns must filter too.
    /// </para>
    /// <para>
    /// Cancellation is checked between files and while scanning; files already rewritten stay rewritten. An error (a
    /// damaged file, a full disk) stops the erasure the same way: it can simply be run again.
    /// </para>
    /// </remarks>
    /// <exception cref="LogFailedException">The log has failed; reopen it first.</exception>
    /// <exception cref="ObjectDisposedException">The log is disposed.</exception>
    /// <exception cref="LogCorruptionException">A segment or archive is damaged; files before it were erased.</exception>
    public async Task<LogErasureResult> EraseAsync(LogPayloadPredicate match, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(match);
        await _maintenance.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // What follows is blocking file I/O: off the caller's thread.
            await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
            var started = Stopwatch.GetTimestamp();
            lock (_sync)
            {
                ThrowIfNotAccepting();
            }

            // A copy interrupted by a crash may still hold records this erasure is about.
            DeleteArchiveTemporaries();
            var erasure = new Erasure(match, cancellationToken);

            // Committed first, then the segments: every record below `committed` lies in one of them.
            var committed = CommittedPosition;
            var segments = _segments;
            var active = segments[^1];
            if (committed > active.BasePosition)
            {
                // Only the committed part of the active segment can be read while the flusher appends, and only a closed
                // segment can be replaced: close it, but only when it holds something to erase.
                var probe = erasure.Scan(active.Path, active.BasePosition, committed - active.BasePosition, compressed: false, firstOnly: true);
                if (probe.Matches.Count > 0)
                {
                    await SealActiveSegmentAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
                    segments = _segments;
                }
                else
                {
                    erasure.Count(probe);
                }
            }

            var end = Math.Max(committed, segments[^1].BasePosition);
            for (var i = 0; i < segments.Length - 1; i++)
            {
                EraseFile(erasure, segments[i].Path, segments[i].BasePosition, compressed: false, _directory);
            }

            if (_options.ArchiveDirectory is { } archiveDirectory && System.IO.Directory.Exists(archiveDirectory))
            {
                var archives = new List<(long Base, string Path)>();
                foreach (var path in System.IO.Directory.EnumerateFiles(archiveDirectory, "*" + ArchiveExtension))
                {
                    if (TryParseArchiveFileName(Path.GetFileName(path.AsSpan()), out var basePosition, out _))
                    {
                        archives.Add((basePosition, path));
                    }
                }

                archives.Sort((a, b) => a.Base.CompareTo(b.Base));
                foreach (var (basePosition, path) in archives)
                {
                    EraseFile(erasure, path, basePosition, compressed: true, archiveDirectory);
                }
            }

            var result = new LogErasureResult
            {
                RecordsScanned = erasure.RecordsScanned,
                RecordsErased = erasure.RecordsErased,
                FilesScanned = erasure.FilesScanned,
                FilesRewritten = erasure.FilesRewritten,
                EndPosition = end,
            };
            var elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            LogMessages.Erased(_logger, result.RecordsErased, result.RecordsScanned, result.FilesRewritten, result.FilesScanned, elapsed);
            return result;
        }
        finally
        {
            _maintenance.Release();
        }
    }

    /// <summary>Scans one closed segment or archive and, if anything in it matches, replaces it with a copy with tombstones.</summary>
    private void EraseFile(Erasure erasure, string path, long basePosition, bool compressed, string directory)
    {
        var scan = erasure.Scan(path, basePosition, long.MaxValue, compressed, firstOnly: false);
        erasure.Count(scan);
        if (scan.Matches.Count == 0)
        {
            return;
        }

        var temporary = path + ErasureTempExtension;
        try
        {
            using (var output = new FileStream(temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                using (var source = OpenImage(path, basePosition, long.MaxValue, compressed))
                using (var gzip = compressed ? new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true) : null)
                {
                    var destination = (Stream?)gzip ?? output;
                    destination.Write(source.Header);
                    var next = 0;
                    while (source.MoveNext())
                    {
                        var frame = source.Frame;
                        if (next < scan.Matches.Count && scan.Matches[next] == source.Position)
                        {
                            LogTombstone.Overwrite(frame);
                            next++;
                        }

                        destination.Write(frame);
                    }

                    if (next != scan.Matches.Count)
                    {
                        // Closed segments and archives never change while an erasure holds them; if one did, keep it.
                        throw new IOException($"'{path}' changed while it was being erased; nothing in it was erased.");
                    }
                }

                // The gzip trailer is written when the GZipStream is disposed, above.
                output.Flush();
                _fs.SyncData(output.SafeFileHandle);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }

        _fs.SyncDirectory(directory);
        erasure.Rewritten(scan.Matches.Count);
        LogMessages.FileErased(_logger, path, scan.Matches.Count);
    }

    /// <summary>
    /// Deletes the temporary files that a crash left in the raw zone (an archive copy or an erasure that did not finish):
    /// they may hold records erased since. Called at open and before each erasure, never while retention runs.
    /// </summary>
    private int DeleteArchiveTemporaries()
    {
        if (_options.ArchiveDirectory is not { } archiveDirectory || !System.IO.Directory.Exists(archiveDirectory))
        {
            return 0;
        }

        var deleted = 0;
        foreach (var path in System.IO.Directory.EnumerateFiles(archiveDirectory, "*" + SegmentFormat.TempExtension))
        {
            var name = Path.GetFileName(path.AsSpan());
            if (name.Length > ArchiveFileNameLength && TryParseArchiveFileName(name[..ArchiveFileNameLength], out _, out _))
            {
                File.Delete(path);
                deleted++;
            }
        }

        if (deleted > 0)
        {
            _fs.SyncDirectory(archiveDirectory);
        }

        return deleted;
    }

    private static SegmentImageReader OpenImage(string path, long basePosition, long frameBytes, bool compressed)
    {
        Stream stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        if (compressed)
        {
            stream = new GZipStream(stream, CompressionMode.Decompress);
        }

        // The reader owns the stream from here, and disposes it if the header is bad.
        return new SegmentImageReader(stream, path, basePosition, frameBytes);
    }

    private readonly record struct FileScan(long Records, List<long> Matches);

    /// <summary>One erasure's predicate, cancellation and running totals.</summary>
    private sealed class Erasure(LogPayloadPredicate match, CancellationToken cancellationToken)
    {
        public long RecordsScanned { get; private set; }

        public long RecordsErased { get; private set; }

        public int FilesScanned { get; private set; }

        public int FilesRewritten { get; private set; }

        /// <summary>The positions of the matching records (only the first with <paramref name="firstOnly"/>), in order.</summary>
        public FileScan Scan(string path, long basePosition, long frameBytes, bool compressed, bool firstOnly)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var matches = new List<long>();
            long records = 0;
            using var image = OpenImage(path, basePosition, frameBytes, compressed);
            while (image.MoveNext())
            {
                if ((++records & 1023) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                var payload = image.Payload;
                if (!LogTombstone.IsErased(payload) && match(payload))
                {
                    matches.Add(image.Position);
                    if (firstOnly)
                    {
                        break;
                    }
                }
            }

            return new FileScan(records, matches);
        }

        public void Count(FileScan scan)
        {
            RecordsScanned += scan.Records;
            FilesScanned++;
        }

        public void Rewritten(int records)
        {
            RecordsErased += records;
            FilesRewritten++;
        }
    }
}
