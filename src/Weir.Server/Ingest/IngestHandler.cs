using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.ObjectPool;
using Weir.Core.Events;
using Weir.Core.Sites;
using Weir.Ingest;
using Weir.Ingest.Body;
using Weir.Ingest.Pixel;
using Weir.Ingest.Segment;
using Weir.Log;
using ServerLog = Weir.Server.Logging.Log;

namespace Weir.Server.Ingest;

/// <summary>
/// Takes events in over HTTP: reads and decodes the body, authenticates the write key, parses the events into
/// canonical records, appends them to the log together and answers only once they are durable.
/// </summary>
internal sealed class IngestHandler : IDisposable
{
    private readonly DurableLog _log;
    private readonly SiteStore _sites;
    private readonly IngestServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SegmentIngest _segment;
    private readonly PixelIngest _pixel;
    private readonly Backpressure _backpressure;
    private readonly PartitionedRateLimiter<string>? _rateLimiter;
    private readonly ObjectPool<RecordBatch> _batches = new DefaultObjectPool<RecordBatch>(new RecordBatch.Policy(), Environment.ProcessorCount * 64);
    private readonly string _retryAfter;
    private int _lastRefusal;

    public IngestHandler(DurableLog log, SiteStore sites, string dataDirectory, IngestServerOptions options, TimeProvider time, ILogger logger)
    {
        _log = log;
        _sites = sites;
        _options = options;
        _time = time;
        _logger = logger;
        _segment = new SegmentIngest(options.Limits);
        _pixel = new PixelIngest(options.Limits);
        _backpressure = new Backpressure(log, dataDirectory, options, time);
        _retryAfter = Math.Max(1, (int)Math.Ceiling(options.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        Metrics = new IngestMetrics(log);
        if (options.RequestsPerSecondPerKey > 0)
        {
            var rate = options.RequestsPerSecondPerKey;
            _rateLimiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = rate * 2,
                TokensPerPeriod = rate,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
        }
    }

    public IngestMetrics Metrics { get; }

    /// <summary>POST /v1/{call}: the Segment HTTP Tracking API.</summary>
    public async Task HandleSegmentAsync(HttpContext http, SegmentCall call)
    {
        var started = _time.GetTimestamp();
        var request = http.Request;
        if (_backpressure.Check() is { } refusal)
        {
            await RefuseAsync(http, StatusCodes.Status503ServiceUnavailable, refusal.Reason, refusal.Message, field: null).ConfigureAwait(false);
            return;
        }

        var read = await RequestBodyReader.ReadAsync(request.Body, request.ContentType, request.Headers.ContentEncoding,
            _segment.MaxBodyBytes(call), http.RequestAborted).ConfigureAwait(false);
        if (read.Body is not { } body)
        {
            var error = read.Error!;
            Metrics.RequestsRejected.Add(1, new KeyValuePair<string, object?>("reason", error.Code));
            await WriteResultAsync(http, IngestResult.Fail(error)).ConfigureAwait(false);
            return;
        }

        using (body)
        {
            Metrics.BytesReceived.Add(body.Length);
            string? writeKey = WriteKeys.TryParseBasic(request.Headers.Authorization, out var headerKey) ? headerKey
                : SegmentIngest.TryFindWriteKey(body.Span, out var bodyKey) ? bodyKey
                : null;
            if (await AuthorizeAsync(http, writeKey).ConfigureAwait(false) is not { } site)
            {
                return;
            }

            var batch = _batches.Get();
            try
            {
                var context = new IngestContext(_time.GetUtcNow())
                {
                    SiteId = site.Id,
                    UserAgent = request.Headers.UserAgent,
                    Ip = http.Connection.RemoteIpAddress?.ToString(),
                    Protocol = EventProtocol.Segment,
                };
                var result = _segment.Parse(call, body.Span, in context, batch);
                CountRejections(result);
                if (batch.Count > 0 && !await AppendAsync(http, batch).ConfigureAwait(false))
                {
                    return;
                }

                Metrics.EventsAccepted.Add(batch.Count, new KeyValuePair<string, object?>("protocol", "segment"));
                Metrics.AckLatency.Record(_time.GetElapsedTime(started).TotalMilliseconds);
                await WriteResultAsync(http, result).ConfigureAwait(false);
            }
            finally
            {
                _batches.Return(batch);
            }
        }
    }

    /// <summary>GET /p.gif: always a 1×1 GIF; errors are counted, not shown.</summary>
    public async Task HandlePixelAsync(HttpContext http)
    {
        var started = _time.GetTimestamp();
        var response = http.Response;
        response.ContentType = "image/gif";
        response.Headers.CacheControl = "no-cache, no-store, must-revalidate, max-age=0";
        response.Headers.Pragma = "no-cache";
        response.Headers.Expires = "0";

        var query = http.Request.QueryString.Value.AsSpan();
        query = query.StartsWith('?') ? query[1..] : query;
        var accepted = false;
        if (_backpressure.Check() is { } refusal)
        {
            // The event would not be durable, so the answer cannot be a 2xx; the body is still the image.
            Metrics.RequestsRejected.Add(1, new KeyValuePair<string, object?>("reason", refusal.Reason));
            response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            response.Headers.RetryAfter = _retryAfter;
        }
        else if (!PixelIngest.TryFindWriteKey(query, out var writeKey) || !_sites.TryGetByWriteKey(writeKey, out var site))
        {
            Metrics.EventsRejected.Add(1, new KeyValuePair<string, object?>("reason", "unknown_write_key"), new KeyValuePair<string, object?>("protocol", "pixel"));
        }
        else
        {
            var batch = _batches.Get();
            try
            {
                var context = new IngestContext(_time.GetUtcNow())
                {
                    SiteId = site.Id,
                    UserAgent = http.Request.Headers.UserAgent,
                    Ip = http.Connection.RemoteIpAddress?.ToString(),
                    Protocol = EventProtocol.Pixel,
                };
                var result = _pixel.Parse(query, in context, batch);
                if (result.Error is { } error)
                {
                    Metrics.EventsRejected.Add(1, new KeyValuePair<string, object?>("reason", error.Code), new KeyValuePair<string, object?>("protocol", "pixel"));
                }
                else if (batch.Count > 0)
                {
                    accepted = await TryAppendAsync(batch, http.RequestAborted).ConfigureAwait(false) is null;
                    if (!accepted)
                    {
                        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                        response.Headers.RetryAfter = _retryAfter;
                    }
                }
            }
            finally
            {
                _batches.Return(batch);
            }
        }

        if (accepted)
        {
            Metrics.EventsAccepted.Add(1, new KeyValuePair<string, object?>("protocol", "pixel"));
            Metrics.AckLatency.Record(_time.GetElapsedTime(started).TotalMilliseconds);
        }

        await response.Body.WriteAsync(TransparentGif.Bytes, http.RequestAborted).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _rateLimiter?.Dispose();
        Metrics.Dispose();
    }

    private async Task<Site?> AuthorizeAsync(HttpContext http, string? writeKey)
    {
        if (writeKey is null)
        {
            await RefuseAsync(http, StatusCodes.Status401Unauthorized, "missing_write_key",
                "a write key is required: send it as the HTTP Basic user name or as writeKey in the body", "writeKey").ConfigureAwait(false);
            return null;
        }

        if (!_sites.TryGetByWriteKey(writeKey, out var site))
        {
            await RefuseAsync(http, StatusCodes.Status401Unauthorized, "unknown_write_key", "the write key is not known to this server", "writeKey").ConfigureAwait(false);
            return null;
        }

        if (!IngestCors.OriginAllowed(http, site))
        {
            await RefuseAsync(http, StatusCodes.Status403Forbidden, "origin_not_allowed",
                $"the site does not accept events from the origin {http.Request.Headers.Origin}", "Origin").ConfigureAwait(false);
            return null;
        }

        if (_rateLimiter is not null)
        {
            using var lease = _rateLimiter.AttemptAcquire(writeKey);
            if (!lease.IsAcquired)
            {
                await RefuseAsync(http, StatusCodes.Status429TooManyRequests, "rate_limited",
                    $"this write key sends more than {_options.RequestsPerSecondPerKey} requests a second", "writeKey").ConfigureAwait(false);
                return null;
            }
        }

        return site;
    }

    /// <summary>Appends the batch and waits until it is durable; on failure answers 503 and returns false.</summary>
    private async Task<bool> AppendAsync(HttpContext http, RecordBatch batch)
    {
        if (await TryAppendAsync(batch, http.RequestAborted).ConfigureAwait(false) is not { } refusal)
        {
            return true;
        }

        Metrics.EventsRejected.Add(batch.Count, new KeyValuePair<string, object?>("reason", refusal.Reason), new KeyValuePair<string, object?>("protocol", "segment"));
        await RefuseAsync(http, StatusCodes.Status503ServiceUnavailable, refusal.Reason, refusal.Message, field: null).ConfigureAwait(false);
        return false;
    }

    private async Task<(string Reason, string Message)?> TryAppendAsync(RecordBatch batch, CancellationToken aborted)
    {
        try
        {
            await _log.AppendBatchAsync(batch.Records(), cancellationToken: aborted).ConfigureAwait(false);
            return null;
        }
        catch (LogFullException)
        {
            NoteRefusal(LogState.DiskFull);
            return ("disk_full", "the disk is full; events are accepted again once space is freed");
        }
        catch (LogFailedException ex)
        {
            NoteRefusal(LogState.Failed, ex);
            return ("log_failed", "the event log has failed and takes no more events until the server is restarted");
        }
        catch (ObjectDisposedException)
        {
            return ("stopping", "the server is stopping");
        }
    }

    // One log line per change of state, not one per refused request.
    private void NoteRefusal(LogState state, Exception? exception = null)
    {
        if (Interlocked.Exchange(ref _lastRefusal, (int)state) == (int)state)
        {
            return;
        }

        if (state == LogState.Failed)
        {
            ServerLog.IngestLogFailed(_logger, exception);
        }
        else
        {
            ServerLog.IngestDiskFull(_logger);
        }
    }

    private void CountRejections(in IngestResult result)
    {
        foreach (var error in result.Errors)
        {
            Metrics.EventsRejected.Add(1, new KeyValuePair<string, object?>("reason", error.Code), new KeyValuePair<string, object?>("protocol", "segment"));
        }

        if (result.BodyError is { } body)
        {
            Metrics.RequestsRejected.Add(1, new KeyValuePair<string, object?>("reason", body.Code));
        }
    }

    private Task<System.IO.Pipelines.FlushResult> RefuseAsync(HttpContext http, int status, string reason, string message, string? field)
    {
        Metrics.RequestsRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));
        var response = http.Response;
        response.StatusCode = status;
        if (status is StatusCodes.Status503ServiceUnavailable or StatusCodes.Status429TooManyRequests)
        {
            response.Headers.RetryAfter = _retryAfter;
        }

        response.ContentType = "application/json";
        using var writer = new System.Text.Json.Utf8JsonWriter(response.BodyWriter);
        writer.WriteStartObject();
        writer.WriteBoolean("success"u8, false);
        writer.WriteString("error"u8, message);
        writer.WriteString("code"u8, reason);
        if (field is not null)
        {
            writer.WriteString("field"u8, field);
        }

        writer.WriteEndObject();
        writer.Flush();
        return response.BodyWriter.FlushAsync(http.RequestAborted).AsTask();
    }

    private static Task<System.IO.Pipelines.FlushResult> WriteResultAsync(HttpContext http, in IngestResult result)
    {
        var response = http.Response;
        response.StatusCode = result.StatusCode;
        response.ContentType = "application/json";
        IngestResponse.Write(response.BodyWriter, in result);
        return response.BodyWriter.FlushAsync(http.RequestAborted).AsTask();
    }
}

/// <summary>The 43-byte transparent 1×1 GIF the pixel answers with.</summary>
internal static class TransparentGif
{
    public static ReadOnlyMemory<byte> Bytes { get; } = new byte[]
    {
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xFF, 0xFF, 0xFF, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
    };
}
