using System.Globalization;
using System.IO.Compression;
using Weir.Log.Format;
using Weir.Log.Internal;
using Weir.Log.Logging;

namespace Weir.Log;

/// <summary>Consumers, their durable checkpoints, readers, and retention (deleting or archiving passed segments).</summary>
public sealed partial class DurableLog
{
    private readonly string _consumersDirectory;
    private readonly Lock _consumersLock = new();
    private readonly Dictionary<string, long> _checkpoints = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _checkpointWrite = new(1, 1);
    private readonly Lock _retentionLock = new();
    private Task _retention = Task.CompletedTask;
    private bool _retentionAgain;

    /// <summary>The registered consumers and their checkpoints.</summary>
    public IReadOnlyDictionary<string, long> Consumers
    {
        get
        {
            lock (_consumersLock)
            {
                return new Dictionary<string, long>(_checkpoints, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>
    /// Registers a consumer, if it is not yet, with a durable checkpoint at the oldest record still in the log (or at the
    /// committed end when <paramref name="startAtEnd"/>), and returns its checkpoint. While it is registered, no segment
    /// it has not passed is deleted.
    /// </summary>
    public long RegisterConsumer(string name, bool startAtEnd = false)
    {
        CheckName(name);
        lock (_consumersLock)
        {
            if (_checkpoints.TryGetValue(name, out var existing))
            {
                return existing;
            }
        }

        var position = startAtEnd ? CommittedPosition : StartPosition;
        Checkpoint(name, position, register: true);
        return position;
    }

    /// <summary>Removes a consumer and its checkpoint, so it no longer holds segments back.</summary>
    public void UnregisterConsumer(string name)
    {
        CheckName(name);
        _checkpointWrite.Wait();
        try
        {
            lock (_consumersLock)
            {
                if (!_checkpoints.Remove(name))
                {
                    return;
                }
            }

            File.Delete(CheckpointPath(name));
            _fs.SyncDirectory(_consumersDirectory);
        }
        finally
        {
            _checkpointWrite.Release();
        }

        ScheduleRetention();
    }

    /// <summary>The consumer's checkpoint: the position it reads from next.</summary>
    public long GetCheckpoint(string name)
    {
        lock (_consumersLock)
        {
            if (!_checkpoints.TryGetValue(name, out var position))
            {
                ThrowHelper.UnknownConsumer(name);
            }

            return position;
        }
    }

    /// <summary>
    /// Durably records that <paramref name="name"/> has consumed everything before <paramref name="position"/> (a record
    /// boundary, such as <see cref="LogReader.Position"/>). Returns once the checkpoint is on disk: written to a temporary
    /// file, fsync'd, renamed over the old one, directory fsync'd. Then retention runs in the background.
    /// </summary>
    public void Checkpoint(string name, long position) => Checkpoint(name, position, register: false);

    private void Checkpoint(string name, long position, bool register)
    {
        CheckName(name);
        var committed = CommittedPosition;
        if (position < 0 || position > committed)
        {
            ThrowHelper.CheckpointOutOfRange(position, committed);
        }

        _checkpointWrite.Wait();
        try
        {
            lock (_consumersLock)
            {
                if (!register && !_checkpoints.ContainsKey(name))
                {
                    ThrowHelper.UnknownConsumer(name);
                }
            }

            WriteCheckpointFile(name, position);
            lock (_consumersLock)
            {
                _checkpoints[name] = position;
            }
        }
        finally
        {
            _checkpointWrite.Release();
        }

        ScheduleRetention();
    }

    /// <summary>Opens a reader for a registered consumer, at its checkpoint. It reads only durable records.</summary>
    public LogReader OpenReader(string consumer) => new(this, GetCheckpoint(consumer), consumer);

    /// <summary>Opens a reader at <paramref name="position"/> (a record boundary), for records still in the log.</summary>
    /// <param name="position">Where to start reading.</param>
    /// <param name="retainPreviousBatch">
    /// Keep each batch valid until the read after next, not just until the next read (two buffers instead of one).
    /// </param>
    public LogReader OpenReader(long position, bool retainPreviousBatch = false)
    {
        if (position < 0 || position > CommittedPosition)
        {
            throw new ArgumentOutOfRangeException(nameof(position), position, "The position must lie between 0 and the committed position.");
        }

        return new LogReader(this, position, consumer: null, retainPreviousBatch);
    }

    /// <summary>
    /// Opens a reader over the raw zone (the archived segments in <see cref="LogOptions.ArchiveDirectory"/>) followed by the
    /// live log: every record still kept anywhere, from <paramref name="fromPosition"/> (default: the oldest), exactly once
    /// and in order, up to the committed position.
    /// </summary>
    public LogReplayReader OpenReplay(long fromPosition = 0) => new(this, fromPosition);

    /// <summary>Runs retention now (it also runs after every checkpoint) and completes when it is done.</summary>
    public Task RunRetentionAsync()
    {
        ScheduleRetention();
        return WaitForRetentionAsync();
    }

    internal Task WaitForRetentionAsync()
    {
        lock (_retentionLock)
        {
            return _retention;
        }
    }

    /// <summary>The slowest consumer's checkpoint, or −1 without consumers.</summary>
    internal long SlowestCheckpoint()
    {
        lock (_consumersLock)
        {
            if (_checkpoints.Count == 0)
            {
                return -1;
            }

            var slowest = long.MaxValue;
            foreach (var position in _checkpoints.Values)
            {
                slowest = Math.Min(slowest, position);
            }

            return slowest;
        }
    }

    internal Task WaitForCommitBeyondAsync(long position, CancellationToken cancellationToken)
    {
        Task signal;
        lock (_sync)
        {
            // Disposal completes the signal too, and then the reader sees the Disposed state.
            if (Volatile.Read(ref _committed) > position || _failure is not null || State == LogState.Disposed)
            {
                return Task.CompletedTask;
            }

            signal = (_commitSignal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }

        return signal.WaitAsync(cancellationToken);
    }

    private static void CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!CheckpointFormat.IsValidName(name))
        {
            ThrowHelper.BadConsumerName(name);
        }
    }

    private string CheckpointPath(string name) => Path.Combine(_consumersDirectory, name + CheckpointFormat.Extension);

    private void WriteCheckpointFile(string name, long position)
    {
        var path = CheckpointPath(name);
        var temporary = path + SegmentFormat.TempExtension;
        Span<byte> content = stackalloc byte[CheckpointFormat.Length];
        CheckpointFormat.Write(content, position);
        using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.ReadWrite))
        {
            _fs.Write(handle, content, 0);
            _fs.SyncData(handle);
        }

        File.Move(temporary, path, overwrite: true);
        _fs.SyncDirectory(_consumersDirectory);
    }

    /// <summary>Loads the checkpoints at open; deletes leftover temporary files; clamps any past the end (after salvage).</summary>
    private int LoadCheckpoints(long end)
    {
        Span<byte> content = stackalloc byte[CheckpointFormat.Length + 1];
        foreach (var path in System.IO.Directory.EnumerateFiles(_consumersDirectory))
        {
            var fileName = Path.GetFileName(path);
            if (fileName.EndsWith(SegmentFormat.TempExtension, StringComparison.Ordinal))
            {
                File.Delete(path);
                continue;
            }

            if (!fileName.EndsWith(CheckpointFormat.Extension, StringComparison.Ordinal))
            {
                continue;
            }

            var name = fileName[..^CheckpointFormat.Extension.Length];
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            var read = RandomAccess.Read(handle, content, 0);
            if (!CheckpointFormat.TryRead(content[..read], out var position))
            {
                throw new LogCorruptionException(path, 0, "the consumer checkpoint is invalid");
            }

            if (position > end)
            {
                LogMessages.CheckpointClamped(_logger, name, position, end);
                position = end;
                WriteCheckpointFile(name, position);
            }

            _checkpoints[name] = position;
        }

        return _checkpoints.Count;
    }

    private void ScheduleRetention()
    {
        lock (_retentionLock)
        {
            if (!_retention.IsCompleted)
            {
                _retentionAgain = true;
                return;
            }

            _retention = Task.Run(RetentionLoop);
        }
    }

    private async Task RetentionLoop()
    {
        while (true)
        {
            // An erasure copies and replaces the very files retention archives and deletes: they take turns.
            await _maintenance.WaitAsync().ConfigureAwait(false);
            try
            {
                ApplyRetention();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogMessages.RetentionFailed(_logger, e);
            }
            finally
            {
                _maintenance.Release();
            }

            lock (_retentionLock)
            {
                if (!_retentionAgain)
                {
                    return;
                }

                _retentionAgain = false;
            }
        }
    }

    /// <summary>
    /// Deletes (after archiving, if configured) every closed segment that every registered consumer has passed. Without
    /// consumers nothing is deleted. The active segment is never deleted.
    /// </summary>
    private void ApplyRetention()
    {
        var slowest = SlowestCheckpoint();
        if (slowest < 0)
        {
            return;
        }

        while (true)
        {
            var segments = _segments;
            var oldest = segments[0];
            if (segments.Length < 2 || !oldest.IsSealed || oldest.SealedEnd > slowest)
            {
                return;
            }

            if (_options.ArchiveDirectory is { } archive)
            {
                Archive(oldest, archive);
            }

            lock (_segmentsLock)
            {
                _segments = _segments[1..];
            }

            File.Delete(oldest.Path);
            _fs.SyncDirectory(_directory);
            LogMessages.SegmentDeleted(_logger, oldest.Path, oldest.SealedEnd);
        }
    }

    /// <summary>
    /// Copies a closed segment, gzip-compressed, into the raw zone as <c>&lt;base&gt;-&lt;end&gt;.wlog.gz</c> (20-digit positions),
    /// durably: temporary file, fsync, rename, directory fsync.
    /// </summary>
    private void Archive(Segment segment, string archiveDirectory)
    {
        CreateDirectoryDurably(Path.GetFullPath(archiveDirectory));
        var path = Path.Combine(archiveDirectory, ArchiveFileName(segment.BasePosition, segment.SealedEnd));
        var temporary = path + SegmentFormat.TempExtension;
        long compressed;
        using (var output = new FileStream(temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
        {
            using (var input = new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            {
                input.CopyTo(gzip);
            }

            _fs.SyncData(output.SafeFileHandle);
            compressed = output.Length;
        }

        File.Move(temporary, path, overwrite: true);
        _fs.SyncDirectory(archiveDirectory);
        LogMessages.SegmentArchived(_logger, segment.Path, path, compressed);
    }

    internal const string ArchiveExtension = ".wlog.gz";

    /// <summary>The length of an archive's name: two 20-digit positions, a dash and the extension.</summary>
    internal const int ArchiveFileNameLength = 41 + 8;

    internal static string ArchiveFileName(long basePosition, long end) =>
        string.Create(CultureInfo.InvariantCulture, $"{basePosition:D20}-{end:D20}{ArchiveExtension}");

    /// <summary>Parses an archive's name, <c>&lt;base&gt;-&lt;end&gt;.wlog.gz</c>, back to its positions.</summary>
    internal static bool TryParseArchiveFileName(ReadOnlySpan<char> fileName, out long basePosition, out long end)
    {
        end = 0;
        basePosition = 0;
        return fileName.Length == ArchiveFileNameLength && fileName[20] == '-'
            && fileName.EndsWith(ArchiveExtension, StringComparison.Ordinal)
            && long.TryParse(fileName[..20], NumberStyles.None, CultureInfo.InvariantCulture, out basePosition)
            && long.TryParse(fileName.Slice(21, 20), NumberStyles.None, CultureInfo.InvariantCulture, out end);
    }
}
