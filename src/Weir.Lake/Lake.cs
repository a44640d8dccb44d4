using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weir.Core.IO;
using Weir.DuckDb;
using Weir.Lake.Catalog;
using Weir.Lake.Loading;
using Weir.Lake.Logging;
using Weir.Log;

namespace Weir.Lake;

/// <summary>
/// The lake of one data folder: the loader that takes events from the log into the hot table and Parquet files, the
/// catalog, the <c>events</c> view queries read, and the maintenance that compacts, expires and erases. See
/// docs/lake.md.
/// </summary>
/// <remarks>
/// <see cref="Open"/> recovers (removes files a crash left uncommitted, loads the de-duplication window, publishes the
/// view); <see cref="Start"/> runs the loader and the background maintenance; <see cref="DisposeAsync"/> stops them and
/// flushes what is hot. One process owns a data folder: the log's lock guards it.
/// </remarks>
public sealed partial class Lake : IAsyncDisposable
{
    /// <summary>Roughly what a page view takes in the hot table (measured: about 620 bytes), with room to spare.</summary>
    private const long HotBytesPerRow = 1024;

    private const long MaxBlockPoolBytes = 4L << 30;

    private static readonly TimeSpan AllocatorPurgeDelay = TimeSpan.FromSeconds(60);

    private readonly LakeCore _core;
    private readonly LakeLoader _loader;
    private readonly DuckDbConnection _control;
    private readonly DurableLog? _log;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loading;
    private int _disposed;

    private Lake(LakeCore core, LakeLoader loader, DuckDbConnection control, DurableLog? log)
    {
        _log = log;
        _core = core;
        _loader = loader;
        _control = control;
    }

    /// <summary>Opens the lake of <see cref="LakeOptions.DataDirectory"/>, reading from <paramref name="log"/>.</summary>
    /// <param name="options">Where the lake is and how it flushes and maintains itself.</param>
    /// <param name="log">The event log; null opens the lake without a loader source (tools that only query or rewrite files).</param>
    /// <param name="loggerFactory">Where the lake logs; nowhere when null.</param>
    /// <param name="time">The clock for flush ages, grace periods and file times; the system clock when null.</param>
    public static Lake Open(LakeOptions options, DurableLog? log, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Weir.Lake");
        var layout = new LakeLayout(options.DataDirectory);
        var catalog = CatalogStore.Open(layout.Root);
        var removed = RemoveLeftovers(layout, catalog.Current);

        // The hot table lives in memory until the next flush drops it: DuckDB's automatic checkpoints would only
        // compress it over and over while the loader appends (they cost the loader more than half its time).
        //
        // The hot table grows by hundreds of megabytes between flushes and is dropped at each one. DuckDB's block pool
        // (block_allocator_memory, sized for a full hot table) and a long purge delay in its allocator let the next hot
        // table reuse that memory instead of faulting in fresh pages, which took most of the loader's time on a VM.
        var blockPool = Math.Min((long)options.FlushRows * HotBytesPerRow, MaxBlockPoolBytes) >> 20;
        var config = new DuckDbConfig { Threads = options.Threads, MemoryLimit = options.MemoryLimit }
            .Set("checkpoint_threshold", "1TB")
            .Set("block_allocator_memory", $"{blockPool}MiB");
        LockDown(config, layout);
        DuckDbAllocator.TrySetPurgeDelay(AllocatorPurgeDelay);
        var database = DuckDbDatabase.Open(DuckDbDatabase.InMemory, config);
        DuckDbConnection? control = null;
        try
        {
            control = database.Connect();
            LockDown(control, layout);
            var core = new LakeCore(options, layout, catalog, database, time ?? TimeProvider.System, logger);
            var loader = new LakeLoader(core, log);
            core.Publish(control);
            LakeLog.Opened(logger, layout.Root, catalog.Current.Files.Count, catalog.Current.Watermark, loader.DedupIds, removed);
            return new Lake(core, loader, control, log);
        }
        catch
        {
            control?.Dispose();
            database.Dispose();
            throw;
        }
    }

    /// <summary>DuckDB's spill folder for the lake's database: <c>&lt;data&gt;/lake/duckdb-tmp</c>.</summary>
    public const string TempDirectoryName = "duckdb-tmp";

    /// <summary>
    /// The database serves people's SQL (docs/query.md, "SQL sandbox"), so it may open no file outside the lake's
    /// folder, load no extension and take no configuration change. The lake's own work stays inside that folder: the
    /// view reads its Parquet files, flush and compaction write there, and DuckDB spills to its temp folder there.
    /// </summary>
    private static void LockDown(DuckDbConfig config, LakeLayout layout)
    {
        var temp = Path.Combine(layout.Root, TempDirectoryName);
        Directory.CreateDirectory(temp);
        config.Set("temp_directory", temp)
            .Set("autoinstall_known_extensions", "false")
            .Set("autoload_known_extensions", "false");
    }

    /// <summary>
    /// The rest of <see cref="LockDown(DuckDbConfig, LakeLayout)"/>, as statements, since DuckDB takes a list of
    /// folders only in SQL: the folder is allowed before external access is turned off, and the configuration is
    /// locked last, before any other connection exists.
    /// </summary>
    private static void LockDown(DuckDbConnection control, LakeLayout layout)
    {
        var root = (layout.Root + Path.DirectorySeparatorChar).Replace("'", "''", StringComparison.Ordinal);
        control.Execute($"SET allowed_directories = ['{root}']; SET enable_external_access = false; SET lock_configuration = true;");
    }

    /// <summary>Where the lake lives: <c>&lt;data&gt;/lake</c>.</summary>
    public LakeLayout Layout => _core.Layout;

    /// <summary>The last committed catalog: files, partitions, watermark, discovered schema.</summary>
    public CatalogSnapshot Catalog => _core.Catalog.Current;

    /// <summary>The log position of the next record the loader will load.</summary>
    public long LoadedPosition => _loader.Position;

    /// <summary>Rows in the hot table, not yet in Parquet.</summary>
    public long HotRows => _loader.HotRows;

    public LoaderCounters Counters => _loader.Counters;

    /// <summary>Raised after every catalog commit, once the view shows it, on the thread that committed (keep handlers short).</summary>
    public event Action<CatalogSnapshot>? Committed
    {
        add => _core.Committed += value;
        remove => _core.Committed -= value;
    }

    /// <summary>Starts the loader (and, unless turned off, the background maintenance).</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_loading is not null)
        {
            return;
        }

        _loading = Task.Run(() => _loader.RunAsync(_stop.Token));
        StartMaintenance();
        ResumeErasures();
    }

    /// <summary>
    /// A new connection to the lake's database, where the view <c>events</c> reads the Parquet files and the hot table.
    /// Use one per thread, and dispose it.
    /// </summary>
    public DuckDbConnection Connect() => _core.Database.Connect();

    /// <summary>
    /// Every UTC date that holds events of <paramref name="siteId"/>, each with a version that changes whenever its
    /// events may have changed (a flush, compaction, erasure or retention replaces the partition's files), or null
    /// while the hot table holds rows of that date, which change with every load. Query caches key on it.
    /// </summary>
    public IReadOnlyDictionary<DateOnly, string?> PartitionVersions(string siteId)
    {
        ArgumentNullException.ThrowIfNull(siteId);
        // The hot rows first, against the catalog as it was then: a flush that lands in between makes the date's files
        // change, so what is read below is at worst live or newer, never an old version with rows missing.
        var before = _core.Catalog.Current;
        var hot = new List<DateOnly>();
        using (var connection = Connect())
        using (var statement = connection.Prepare($"SELECT DISTINCT {Query.EventsView.EventDateExpression} FROM {Sql.Identifier(Hot.HotTable.Name)} WHERE {Sql.Identifier(EventColumns.SiteId)} = $1 AND {Sql.Identifier(EventColumns.LogPosition)} >= $2"))
        {
            statement.Bind(1, siteId).Bind(2, before.Watermark);
            using var result = statement.Execute();
            while (result.NextChunk() is { } chunk)
            {
                using (chunk)
                {
                    var dates = chunk.GetVector(0);
                    for (var r = 0; r < chunk.RowCount; r++)
                    {
                        hot.Add(dates.GetDate(r));
                    }
                }
            }
        }

        var versions = new Dictionary<DateOnly, string?>();
        var snapshot = _core.Catalog.Current;
        foreach (var partition in snapshot.Partitions)
        {
            if (partition.SiteId == siteId)
            {
                var files = snapshot.FilesOf(siteId, partition.EventDate);
                var version = new System.Text.StringBuilder();
                foreach (var file in files)
                {
                    version.Append(file.Path).Append('|');
                }

                versions[partition.EventDate] = version.ToString();
            }
        }

        foreach (var date in hot)
        {
            versions[date] = null;
        }

        return versions;
    }

    /// <summary>Writes every hot row to Parquet now; completes when the files and the catalog are durable. Returns the rows written.</summary>
    public async Task<long> FlushAsync()
    {
        long rows = 0;
        await RunOnLoaderAsync(loader => rows = loader.Flush()).ConfigureAwait(false);
        return rows;
    }

    /// <summary>Hands everything loaded so far to DuckDB, so that queries see it. Mostly for tests and tools.</summary>
    public Task MakeVisibleAsync() => RunOnLoaderAsync(loader => loader.MakeVisible());

    /// <summary>Completes once the loader has loaded every record below <paramref name="position"/> and made it visible to queries.</summary>
    public Task WhenLoadedAsync(long position)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var queued = RunOnLoaderAsync(loader => loader.AddPositionWaiter(position, done));
        return queued.IsFaulted ? queued : done.Task;
    }

    internal Task RunOnLoaderAsync(Action<LakeLoader> work)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_loading is null)
        {
            // Not started (a tool): the caller's thread is the loader's.
            lock (_loader)
            {
                work(_loader);
            }

            return Task.CompletedTask;
        }

        return _loader.InvokeAsync(work);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await StopMaintenanceAsync().ConfigureAwait(false);
        if (_loading is not null)
        {
            await _loading.ConfigureAwait(false);
        }

        try
        {
            // Shutdown flush: what is hot goes to Parquet, so the next start has no log to read again.
            _loader.Flush();
        }
        finally
        {
            _loader.Dispose();
            _control.Dispose();
            _core.Database.Dispose();
            _stop.Dispose();
        }
    }

    /// <summary>
    /// Deletes what a crash can leave behind: <c>.tmp</c> files, and Parquet files the catalog does not name (written by
    /// a flush or a rewrite that never committed; their rows are still in the log or in the files they were to replace).
    /// </summary>
    /// <remarks>
    /// The temporary copies of the catalog and of erasure jobs (<see cref="DurableFile"/> writes <c>&lt;name&gt;.tmp</c>,
    /// then renames it) were never renamed, so they say nothing the files they were to replace do not; and a job's may
    /// hold the identifier to erase, which must not outlive the erasure that a retried request runs.
    /// </remarks>
    private static int RemoveLeftovers(LakeLayout layout, CatalogSnapshot snapshot)
    {
        var removed = Maintenance.LakeCleanup.RemoveOrphans(layout, snapshot).Count;
        if (Maintenance.MaintenanceCommon.DeleteFile(Path.Combine(layout.Root, CatalogStore.FileName + ".tmp")))
        {
            removed++;
        }

        var erasures = Path.Combine(layout.Root, ErasureDirectoryName);
        if (Directory.Exists(erasures))
        {
            foreach (var temporary in Directory.GetFiles(erasures, "*.tmp"))
            {
                File.Delete(temporary);
                removed++;
            }
        }

        return removed;
    }
}
