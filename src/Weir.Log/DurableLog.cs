using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using Weir.Log.Format;
using Weir.Log.Internal;
using Weir.Log.IO;
using Weir.Log.Logging;
using Weir.Log.Recovery;

namespace Weir.Log;

/// <summary>
/// An embedded, durable, segmented write-ahead log of opaque byte records, with group commit, crash recovery and
/// consumers that keep durable checkpoints. See docs/log.md.
/// </summary>
/// <remarks>
/// Every member is thread-safe. Many writers enqueue concurrently; one flusher thread writes what they enqueued with one
/// write and one <c>fdatasync</c>, then completes every waiter whose record is durable. Positions are byte offsets in an
/// endless stream of frames: a record's position is where its frame starts, and the next record's position is that plus
/// 8 plus the payload's length.
/// </remarks>
public sealed partial class DurableLog : IAsyncDisposable
{
    private readonly LogOptions _options;
    private readonly ILogFileSystem _fs;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _directory;
    private readonly FileStream _lockFile;
    private readonly Thread _flusher;
    private readonly TaskCompletionSource _flusherExited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Guarded by _sync (a plain object: the flusher sleeps on it with Monitor.Wait).
    private readonly object _sync = new();
    private byte[] _active;
    private byte[] _spare;
    private int _activeLength;
    private int _activeRecords;
    private long _tail;
    private bool _flusherIdle;
    private bool _disposing;
    private Exception? _failure;
    private TaskCompletionSource? _spaceSignal;
    private TaskCompletionSource? _commitSignal;
    private TaskCompletionSource? _sealRequest;
    private readonly List<CommitWaiter> _waiters = [];
    private readonly List<(long Start, long End)> _discarded = [];
    private readonly WaiterPool _waiterPool = new(4096);
    private readonly Action<Completions> _releaseCompletions;

    // Published by the flusher.
    private long _committed;
    private int _state;
    private volatile bool _anyDiscarded;
    private long _recordsAppended;
    private long _bytesAppended;
    private long _fsyncs;
    private long _recordsRejected;

    // Segments, oldest first; the last is the one being written. Replaced whole (copy on write) under _segmentsLock.
    private readonly Lock _segmentsLock = new();
    private volatile Segment[] _segments;

    // Owned by the flusher after open.
    private SafeFileHandle _activeHandle;
    private long _activeFileLength;
    private bool _rollPending;

    private DurableLog(LogOptions options, ILoggerFactory? loggerFactory, TimeProvider? timeProvider)
    {
        options.Validate();
        _releaseCompletions = _spareCompletions.Enqueue;
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Weir.Log needs fdatasync and directory fsync: it runs on Linux and other Unix systems.");
        }

        _options = options;
        _fs = options.FileSystem;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Weir.Log");
        _time = timeProvider ?? TimeProvider.System;
        _directory = Path.GetFullPath(options.Directory);
        _consumersDirectory = Path.Combine(_directory, "consumers");

        var started = Stopwatch.GetTimestamp();
        CreateDirectoryDurably(_directory);
        CreateDirectoryDurably(_consumersDirectory);
        try
        {
            // FileShare.None takes an exclusive flock on Unix, so a second process cannot open the same log; the kernel
            // drops it when the process dies, even by SIGKILL.
            _lockFile = new FileStream(Path.Combine(_directory, "LOCK"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"The log at '{_directory}' is already open (its LOCK file is held by another process or instance).", e);
        }

        try
        {
            var recovered = LogRecovery.Run(options with { Directory = _directory }, _fs);
            var consumers = LoadCheckpoints(recovered.EndPosition);
            _tail = _committed = recovered.EndPosition;

            var segments = recovered.Segments;
            if (segments.Count == 0 || recovered.LastMaxBatchBytes < options.MaxBatchBytes)
            {
                // A fresh log, or a writer with a larger batch than the last segment's header allows: a new segment, so
                // that its header bounds a torn tail correctly. An empty last segment is replaced (same name) instead.
                var end = recovered.EndPosition;
                var previousEnd = end;
                if (segments.Count > 0 && segments[^1].BasePosition == end)
                {
                    previousEnd = segments[^1].PreviousEnd;
                    segments.RemoveAt(segments.Count - 1);
                }
                else if (segments.Count > 0)
                {
                    segments[^1].SealedEnd = end;
                }

                segments.Add(CreateSegment(end, previousEnd, out _activeHandle));
                _activeFileLength = SegmentFormat.HeaderLength;
            }
            else
            {
                _activeHandle = File.OpenHandle(segments[^1].Path, FileMode.Open, FileAccess.ReadWrite);
                _activeFileLength = recovered.LastFileLength;
            }

            _segments = [.. segments];
            var archiveTemporaries = DeleteArchiveTemporaries();
            Recovery = recovered.Report with
            {
                Consumers = consumers,
                Segments = segments.Count,
                TemporaryFilesDeleted = recovered.Report.TemporaryFilesDeleted + archiveTemporaries,
            };
        }
        catch
        {
            _lockFile.Dispose();
            throw;
        }

        _active = ArrayPool<byte>.Shared.Rent(options.MaxBatchBytes);
        _spare = ArrayPool<byte>.Shared.Rent(options.MaxBatchBytes);
        if (Recovery.TornBytesTruncated > 0)
        {
            LogMessages.TornTailTruncated(_logger, Recovery.TornTailFile!, Recovery.TornTailOffset, Recovery.TornBytesTruncated);
        }

        if (Recovery.Corruption is not null)
        {
            LogMessages.Salvaged(_logger, Recovery.Corruption, Recovery.SalvagedBytesDropped, string.Join(", ", Recovery.CorruptFiles));
        }

        var elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        LogMessages.Opened(_logger, _directory, Recovery.Segments, Recovery.RecordsRecovered, Recovery.StartPosition, Recovery.EndPosition, elapsed);

        _flusher = new Thread(FlushLoop) { IsBackground = true, Name = "weir-log-flusher" };
        _flusher.Start();
    }

    /// <summary>
    /// Opens (or creates) the log in <see cref="LogOptions.Directory"/>, recovering it first: a torn tail is cut off, and
    /// corruption stops the open with a <see cref="LogCorruptionException"/> unless <see cref="LogOptions.Salvage"/> is set.
    /// </summary>
    public static DurableLog Open(LogOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new DurableLog(options, loggerFactory, timeProvider);
    }

    /// <summary>What recovery found when the log opened.</summary>
    public LogRecoveryReport Recovery { get; }

    /// <summary>The log's directory (absolute).</summary>
    public string Directory => _directory;

    /// <summary>The options the log was opened with.</summary>
    public LogOptions Options => _options;

    /// <summary>The end of durable data: every record before this position has been fsync'd and survives a crash.</summary>
    public long CommittedPosition => Volatile.Read(ref _committed);

    /// <summary>The position of the oldest record still in the log directory.</summary>
    public long StartPosition => _segments[0].BasePosition;

    /// <summary>The log's state: healthy, disk full (retrying), failed (for good) or disposed.</summary>
    public LogState State => (LogState)Volatile.Read(ref _state);

    /// <summary>Bytes between the slowest registered consumer's checkpoint and the committed position; 0 without consumers.</summary>
    public long BacklogBytes
    {
        get
        {
            var slowest = SlowestCheckpoint();
            return slowest < 0 ? 0 : Math.Max(0, CommittedPosition - slowest);
        }
    }

    /// <summary>A snapshot of the counters, for metrics.</summary>
    public LogStatistics GetStatistics()
    {
        long tail;
        lock (_sync)
        {
            tail = _tail;
        }

        return new LogStatistics
        {
            RecordsAppended = Volatile.Read(ref _recordsAppended),
            BytesAppended = Volatile.Read(ref _bytesAppended),
            Fsyncs = Volatile.Read(ref _fsyncs),
            RecordsRejectedDiskFull = Volatile.Read(ref _recordsRejected),
            CommittedPosition = CommittedPosition,
            TailPosition = tail,
            BacklogBytes = BacklogBytes,
            Segments = _segments.Length,
            State = State,
        };
    }

    internal Segment[] Segments => _segments;

    internal TimeProvider Time => _time;

    /// <summary>
    /// Commits everything enqueued, stops the flusher and closes the files. Appends after this throw
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        lock (_sync)
        {
            _disposing = true;
            Monitor.PulseAll(_sync);
        }

        await _flusherExited.Task.ConfigureAwait(false);
        await WaitForRetentionAsync().ConfigureAwait(false);

        // An erasure still rewriting files finishes first; one that starts later finds the log disposed.
        await _maintenance.WaitAsync().ConfigureAwait(false);
        _maintenance.Release();
        lock (_sync)
        {
            if (State == LogState.Disposed)
            {
                return;
            }

            Volatile.Write(ref _state, (int)LogState.Disposed);
            _commitSignal?.TrySetResult();
            _commitSignal = null;
            ArrayPool<byte>.Shared.Return(_active);
            ArrayPool<byte>.Shared.Return(_spare);
            _active = _spare = [];
        }

        _activeHandle.Dispose();
        var statistics = GetStatistics();
        LogMessages.Closed(_logger, statistics.CommittedPosition, statistics.RecordsAppended, statistics.Fsyncs);
        await _lockFile.DisposeAsync().ConfigureAwait(false);
    }

    private void CreateDirectoryDurably(string path)
    {
        if (System.IO.Directory.Exists(path))
        {
            return;
        }

        System.IO.Directory.CreateDirectory(path);
        var parent = Path.GetDirectoryName(path);
        if (parent is not null)
        {
            _fs.SyncDirectory(parent);
        }
    }

    /// <summary>
    /// Creates a segment atomically: header written to a temporary file and fsync'd, then renamed into place and the
    /// directory fsync'd. So a segment file, once it exists under its name, always has a valid header.
    /// </summary>
    private Segment CreateSegment(long basePosition, long previousEnd, out SafeFileHandle handle)
    {
        var path = Path.Combine(_directory, SegmentFormat.FileName(basePosition));
        var temporary = path + SegmentFormat.TempExtension;
        handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.ReadWrite);
        try
        {
            Span<byte> header = stackalloc byte[SegmentFormat.HeaderLength];
            SegmentFormat.WriteHeader(header, new SegmentHeader(basePosition, previousEnd, _options.MaxBatchBytes,
                _time.GetUtcNow().ToUnixTimeMilliseconds()));
            _fs.Write(handle, header, 0);
            _fs.SyncData(handle);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            handle.Dispose();
            TryDelete(temporary);
            throw;
        }

        _fs.SyncDirectory(_directory);
        LogMessages.SegmentStarted(_logger, path, basePosition);
        return new Segment(path, basePosition, previousEnd);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
