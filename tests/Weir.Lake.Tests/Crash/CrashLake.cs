using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Microsoft.Extensions.Logging;
using Weir.DuckDb;
using Weir.Lake.Catalog;
using Weir.Lake.CrashChild;
using Weir.Lake.Loading;
using Weir.Log;

namespace Weir.Lake.Tests.Crash;

/// <summary>What a kill left on disk, before anything opened the folder again.</summary>
/// <param name="TemporaryFiles"><c>*.parquet.tmp</c> files: a write the kill interrupted.</param>
/// <param name="UnlistedFiles">Parquet files the catalog does not name: written, never committed.</param>
/// <param name="LogBytesAboveWatermark">Bytes of log records above the catalog's watermark, which the next start loads again.</param>
/// <param name="OtherTemporaryFiles">Other <c>*.tmp</c> files in the data folder (the catalog's, the log's, the de-duplication window's).</param>
internal sealed record KillLeftovers(int TemporaryFiles, int UnlistedFiles, long LogBytesAboveWatermark, string OtherTemporaryFiles);

/// <summary>
/// A data folder the crash child wrote: what must hold on disk after every kill, and the log and the lake opened
/// in-process with the child's options (as the next start would), to query.
/// </summary>
internal sealed class CrashLake : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _lakeLog;

    private CrashLake(string data, DurableLog log, Lake lake, ConcurrentQueue<string> lakeLog)
    {
        Data = data;
        Log = log;
        Lake = lake;
        _lakeLog = lakeLog;
        OpenedAt = string.Create(CultureInfo.InvariantCulture,
            $"opened with the log ending at {log.CommittedPosition} ({log.Recovery.TornBytesTruncated} torn bytes cut) and the catalog's watermark at {lake.Catalog.Watermark}");
    }

    /// <summary>The log's end and the catalog's watermark when this process opened them, for failure messages.</summary>
    public string OpenedAt { get; }

    /// <summary>What the lake logged at warning level and above since it opened, for failure messages.</summary>
    public string Warnings => _lakeLog.IsEmpty ? "the lake logged no warning" : "the lake logged: " + string.Join(" | ", _lakeLog);

    public string Data { get; }

    public DurableLog Log { get; }

    public Lake Lake { get; }

    /// <summary>
    /// Checks a folder right after a kill, without the lake's start-up cleanup: the catalog loads, every file it names
    /// is there, the log still holds every record above the catalog's watermark, and the log's checkpoint for the lake
    /// has not passed that watermark. Opening the log recovers it, as the next start would.
    /// </summary>
    public static async Task<KillLeftovers> CheckAfterKillAsync(string data)
    {
        var layout = new LakeLayout(data);
        var catalog = CatalogStore.Open(layout.Root).Current;
        foreach (var file in catalog.Files)
        {
            Assert.True(File.Exists(layout.Absolute(file.Path)), $"the catalog (generation {catalog.Generation}) names {file.Path}, which is not on disk");
        }

        var named = Named(catalog);
        var parquet = Directory.Exists(layout.Events) ? Directory.GetFiles(layout.Events, "*", SearchOption.AllDirectories) : [];
        var temporary = parquet.Count(f => f.EndsWith(".parquet.tmp", StringComparison.Ordinal));
        var unlisted = parquet.Count(f => f.EndsWith(".parquet", StringComparison.Ordinal) && !named.Contains(layout.Relative(f)));
        var others = Directory.GetFiles(data, "*.tmp", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".parquet.tmp", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(data, f));

        await using var log = DurableLog.Open(CrashData.LogOptions(data));
        Assert.True(catalog.Watermark <= log.CommittedPosition, $"the catalog's watermark {catalog.Watermark} is past the log's end {log.CommittedPosition}");
        Assert.True(log.StartPosition <= catalog.Watermark,
            $"the log no longer holds records at {log.StartPosition} and below, but the lake's files hold only those below {catalog.Watermark}");
        if (log.Consumers.TryGetValue(LakeLoader.ConsumerName, out var checkpoint))
        {
            Assert.True(checkpoint <= catalog.Watermark, $"the log's checkpoint of the lake ({checkpoint}) passed the catalog's watermark ({catalog.Watermark})");
        }

        return new KillLeftovers(temporary, unlisted, log.CommittedPosition - catalog.Watermark, string.Join(' ', others));
    }

    /// <summary>
    /// Opens the log and the lake with the child's options (the lake's start-up deletes what the kill left), checks that
    /// the disk now agrees with the catalog, starts the lake (which resumes unfinished erasures) and waits until it has
    /// loaded the whole log.
    /// </summary>
    public static async Task<CrashLake> OpenAsync(string data)
    {
        var log = DurableLog.Open(CrashData.LogOptions(data));
        Lake? lake = null;
        var warnings = new ConcurrentQueue<string>();
        try
        {
            lake = Lake.Open(CrashData.LakeOptions(data), log, new WarningCollector(warnings));
            var opened = new CrashLake(data, log, lake, warnings);
            opened.AssertDiskMatchesCatalog(pendingDeletes: true);
            lake.Start();
            await lake.WhenLoadedAsync(log.CommittedPosition).WaitAsync(TimeSpan.FromSeconds(60));
            return opened;
        }
        catch
        {
            if (lake is not null)
            {
                await lake.DisposeAsync();
            }

            await log.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// No temporary file anywhere in the data folder; under the lake's events folder exactly the files the catalog
    /// names (its pending deletes may be there or not when <paramref name="pendingDeletes"/>, and must be gone
    /// otherwise); every file the catalog lists is there.
    /// </summary>
    public void AssertDiskMatchesCatalog(bool pendingDeletes)
    {
        var catalog = Lake.Catalog;
        var temporary = Directory.GetFiles(Data, "*.tmp", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Data, f)).ToList();
        Assert.True(temporary.Count == 0, $"temporary files are left after the lake opened: {string.Join(", ", temporary)}");
        var live = catalog.Files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        var allowed = pendingDeletes ? Named(catalog) : live;
        var onDisk = Directory.Exists(Lake.Layout.Events)
            ? Directory.GetFiles(Lake.Layout.Events, "*", SearchOption.AllDirectories).Select(Lake.Layout.Relative).ToHashSet(StringComparer.Ordinal)
            : [];
        Assert.DoesNotContain(onDisk, f => !allowed.Contains(f));
        Assert.DoesNotContain(live, f => !onDisk.Contains(f));
        if (!pendingDeletes)
        {
            Assert.Empty(catalog.PendingDeletes);
        }
    }

    /// <summary>Rows of <c>events</c> per message id, as event ids.</summary>
    public Dictionary<long, long> RowsPerEvent()
    {
        var rows = new Dictionary<long, long>();
        foreach (var (messageId, count) in Query("SELECT message_id, count(*) FROM events GROUP BY ALL"))
        {
            rows.Add(CrashData.IdOf(messageId), count);
        }

        return rows;
    }

    /// <summary>Rows of <c>events</c> per user id.</summary>
    public Dictionary<string, long> RowsPerPerson() =>
        Query("SELECT user_id, count(*) FROM events GROUP BY ALL").ToDictionary(r => r.Key, r => r.Count, StringComparer.Ordinal);

    /// <summary>
    /// Rows and distinct (site, message id) pairs in every Parquet file under the events folder, read by a separate
    /// DuckDB the way any Hive-aware tool would: whatever the catalog says.
    /// </summary>
    public (long Rows, long Distinct, long OfPerson) ReadFolder(string person = "")
    {
        using var database = DuckDbDatabase.Open();
        using var connection = database.Connect();
        var glob = Path.Combine(Lake.Layout.Events, "*", "*", "*.parquet");
        using var statement = connection.Prepare(
            $"SELECT count(*), count(DISTINCT (site_id, message_id)), count(*) FILTER (WHERE user_id = $1) FROM read_parquet('{glob}', hive_partitioning = true)");
        statement.Bind(1, person);
        using var result = statement.Execute();
        using var chunk = result.NextChunk()!;
        return (chunk.GetVector(0).GetInt64(0), chunk.GetVector(1).GetInt64(0), chunk.GetVector(2).GetInt64(0));
    }

    /// <summary>Every file under the data folder whose bytes (gunzipped for archives) contain <paramref name="marker"/>.</summary>
    public static List<string> FilesContaining(string data, string marker)
    {
        var needle = Encoding.UTF8.GetBytes(marker);
        var found = new List<string>();
        foreach (var path in Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(path) == "LOCK")
            {
                continue; // empty, and locked by an open log
            }

            byte[] bytes;
            if (path.EndsWith(".gz", StringComparison.Ordinal))
            {
                using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
                using var copy = new MemoryStream();
                gzip.CopyTo(copy);
                bytes = copy.ToArray();
            }
            else
            {
                bytes = File.ReadAllBytes(path);
            }

            if (bytes.AsSpan().IndexOf(needle) >= 0)
            {
                found.Add(Path.GetRelativePath(data, path));
            }
        }

        return found;
    }

    public async ValueTask DisposeAsync()
    {
        await Lake.DisposeAsync();
        await Log.DisposeAsync();
    }

    private List<(string Key, long Count)> Query(string sql)
    {
        using var connection = Lake.Connect();
        using var result = connection.Query(sql);
        var rows = new List<(string, long)>();
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                var keys = chunk.GetVector(0);
                var counts = chunk.GetVector(1);
                for (var i = 0; i < chunk.RowCount; i++)
                {
                    rows.Add((keys.GetString(i), counts.GetInt64(i)));
                }
            }
        }

        return rows;
    }

    private static HashSet<string> Named(CatalogSnapshot catalog)
    {
        var named = catalog.Files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        named.UnionWith(catalog.PendingDeletes.Select(p => p.Path));
        return named;
    }

    /// <summary>Keeps the lake's warnings and errors, with their exceptions, as text.</summary>
    private sealed class WarningCollector(ConcurrentQueue<string> entries) : ILoggerFactory, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                entries.Enqueue($"{logLevel}: {formatter(state, exception)} {exception}");
            }
        }

        public void Dispose()
        {
        }
    }
}
