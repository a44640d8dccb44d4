using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Weir.Core.IO;
using Weir.DuckDb;
using Weir.Lake.Hot;
using Weir.Lake.Logging;
using Weir.Lake.Maintenance;

namespace Weir.Lake;

/// <summary>Where an erasure job is.</summary>
public enum ErasureStatus
{
    Pending,
    Running,
    Completed,
    Failed,
}

/// <summary>A request to erase every event of one person, and how it went. It never holds the person's identifier once done.</summary>
public sealed record ErasureJob
{
    public required string Id { get; init; }

    /// <summary>The site whose events are erased; null for every site.</summary>
    public string? SiteId { get; init; }

    public required ErasureField Field { get; init; }

    public required ErasureStatus Status { get; init; }

    public required DateTimeOffset RequestedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Rows removed from Parquet files (the hot table's rows are flushed to files first, and removed there).</summary>
    public long LakeRowsErased { get; init; }

    public int FilesRewritten { get; init; }

    public int FilesRemoved { get; init; }

    /// <summary>Records turned into tombstones in the log and the raw zone.</summary>
    public long LogRecordsErased { get; init; }

    public string? Error { get; init; }

    /// <summary>The identifier to erase; kept (on disk too) only until the job completes, so a crash can resume it.</summary>
    [JsonInclude]
    internal string? Value { get; init; }
}

/// <summary>
/// GDPR erasure. A job runs on the maintenance task and is recorded in <c>&lt;lake&gt;/erasure/&lt;id&gt;.json</c>
/// before it is accepted, so a crash resumes it at the next start. Its steps, each safe to repeat:
/// <list type="number">
/// <item>the log and the raw zone: matching records become tombstones of the same length (positions do not move);</item>
/// <item>the loader flushes its hot rows (the person's among them) to files, starts a new hot table and reopens its log
/// reader, so nothing it reads afterwards comes from a file the erasure replaced;</item>
/// <item>every Parquet file holding a matching row is rewritten without it, the view is re-created, and the old files
/// (and replaced files still in their grace period that hold such rows) are deleted at once.</item>
/// </list>
/// Then the job is marked completed and the identifier is removed from its record.
/// </summary>
public sealed partial class Lake
{
    /// <summary>The longest identifier an erasure accepts.</summary>
    public const int MaxErasureIdentifierLength = 1024;

    private const string ErasureDirectoryName = "erasure";
    private readonly ConcurrentDictionary<string, ErasureJob> _erasures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<ErasureJob>> _erasureWaiters = new(StringComparer.Ordinal);

    private string ErasureDirectory => Path.Combine(_core.Layout.Root, ErasureDirectoryName);

    /// <summary>Accepts an erasure of every event whose <paramref name="field"/> is <paramref name="value"/>; it runs in the background.</summary>
    /// <exception cref="ArgumentException">The value is empty or too long, or the site id is not one.</exception>
    public ErasureJob RequestErasure(string? siteId, ErasureField field, string value)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (string.IsNullOrEmpty(value) || value.Length > MaxErasureIdentifierLength)
        {
            throw new ArgumentException($"The identifier to erase must have 1 to {MaxErasureIdentifierLength} characters.", nameof(value));
        }

        if (siteId is not null)
        {
            LakeLayout.CheckSiteId(siteId);
        }

        var job = new ErasureJob
        {
            Id = "er_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            SiteId = siteId,
            Field = field,
            Status = ErasureStatus.Pending,
            RequestedAt = _core.Time.GetUtcNow(),
            Value = value,
        };
        SaveErasure(job);
        QueueErasure(job);
        return Public(job);
    }

    /// <summary>The job with this id, or null.</summary>
    public ErasureJob? GetErasure(string id) => _erasures.TryGetValue(id, out var job) ? Public(job) : null;

    /// <summary>Completes when the job has completed or failed.</summary>
    public Task<ErasureJob> WhenErasureFinishedAsync(string id)
    {
        var waiter = _erasureWaiters.GetOrAdd(id, _ => new TaskCompletionSource<ErasureJob>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (_erasures.TryGetValue(id, out var job) && job.Status is ErasureStatus.Completed or ErasureStatus.Failed)
        {
            waiter.TrySetResult(Public(job));
        }

        return waiter.Task;
    }

    /// <summary>Loads the jobs on disk and queues the unfinished ones (called once the lake runs).</summary>
    private void ResumeErasures()
    {
        if (!Directory.Exists(ErasureDirectory))
        {
            return;
        }

        foreach (var path in Directory.GetFiles(ErasureDirectory, "*.json"))
        {
            var job = JsonSerializer.Deserialize(File.ReadAllBytes(path), ErasureJsonContext.Default.ErasureJob)
                ?? throw new InvalidDataException($"The erasure job file {path} is empty.");
            _erasures[job.Id] = job;
            if (job.Status is ErasureStatus.Pending or ErasureStatus.Running && job.Value is not null)
            {
                QueueErasure(job);
            }
        }
    }

    private void QueueErasure(ErasureJob job)
    {
        _erasures[job.Id] = job;
        _ = RunMaintenanceAsync((lake, connection) => lake.Erase(job, connection));
    }

    private ErasureJob Erase(ErasureJob job, DuckDbConnection connection)
    {
        job = job with { Status = ErasureStatus.Running };
        _erasures[job.Id] = job;
        try
        {
            var value = job.Value!;
            long logRecords = 0;
            if (_log is not null)
            {
                using var match = new ErasureMatch(job.SiteId, job.Field, value);
                logRecords = _log.EraseAsync(match.Matches).GetAwaiter().GetResult().RecordsErased;
            }

            RunOnLoaderAsync(loader =>
            {
                loader.Flush();
                loader.ReopenReader();
            }).GetAwaiter().GetResult();

            var eraser = new FileEraser(_core.Catalog, _core.Layout, _core.Time, _core.Commit);
            var files = eraser.EraseFromFiles(connection, job.SiteId, job.Field, value, ErasureDeletion.Immediate);
            job = job with
            {
                Status = ErasureStatus.Completed,
                CompletedAt = _core.Time.GetUtcNow(),
                LakeRowsErased = files.RowsErased,
                FilesRewritten = files.FilesRewritten,
                FilesRemoved = files.FilesRemoved,
                LogRecordsErased = logRecords,
                Value = null,
            };
            SaveErasure(job);
            LakeLog.ErasureCompleted(_core.Logger, job.Id, files.RowsErased, files.Files.Count, logRecords);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The identifier stays on disk so that the next start retries; every step is safe to repeat.
            LakeLog.ErasureFailed(_core.Logger, job.Id, e);
            job = job with { Status = ErasureStatus.Failed, Error = e.Message };
        }

        _erasures[job.Id] = job;
        if (_erasureWaiters.TryGetValue(job.Id, out var waiter))
        {
            waiter.TrySetResult(Public(job));
        }

        return job;
    }

    private void SaveErasure(ErasureJob job)
    {
        Directory.CreateDirectory(ErasureDirectory);
        DurableFile.WriteAllBytes(Path.Combine(ErasureDirectory, job.Id + ".json"),
            JsonSerializer.SerializeToUtf8Bytes(job, ErasureJsonContext.Default.ErasureJob));
    }

    private static ErasureJob Public(ErasureJob job) => job.Value is null ? job : job with { Value = null };

    /// <summary>Whether a log record is one of the person's: a cheap byte search first, the decoder only for candidates.</summary>
    private sealed class ErasureMatch(string? siteId, ErasureField field, string value) : IDisposable
    {
        private readonly byte[] _raw = Encoding.UTF8.GetBytes(value);
        private readonly byte[] _escaped = JsonEncodedText.Encode(value).EncodedUtf8Bytes.ToArray();
        private readonly byte[]? _site = siteId is null ? null : Encoding.UTF8.GetBytes(siteId);
        private readonly RecordDecoder _decoder = new();

        public bool Matches(ReadOnlySpan<byte> payload)
        {
            if (payload.IndexOf(_raw) < 0 && payload.IndexOf(_escaped) < 0)
            {
                return false;
            }

            if (!_decoder.TryDecode(payload, out var decoded, out _))
            {
                // A record the loader refuses still holds the bytes: erase it rather than keep personal data around.
                return true;
            }

            if (_site is not null && !decoded.SiteId.SequenceEqual(_site))
            {
                return false;
            }

            var column = field == ErasureField.UserId ? RecordField.UserId : RecordField.AnonymousId;
            return decoded.Has(column) && decoded.GetUtf8(column).SequenceEqual(_raw);
        }

        public void Dispose() => _decoder.Dispose();
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErasureJob))]
internal sealed partial class ErasureJsonContext : JsonSerializerContext;
