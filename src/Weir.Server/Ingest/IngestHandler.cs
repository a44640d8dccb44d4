using System.Buffers;
using System.Globalization;
using System.Text.Json;
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
internal sealed partial class IngestHandler : IDisposable
{
    // Enough for every request in flight under heavy load to get a pooled batch; a batch kept idle costs about 5 KB.
    private const int MaxPooledBatches = 1024;

    private readonly DurableLog _log;
    private readonly SiteStore _sites;
    private readonly IngestServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SegmentIngest _segment;
    private readonly PixelIngest _pixel;
    private readonly Backpressure _backpressure;
    private readonly PartitionedRateLimiter<string>? _rateLimiter;
    private readonly ObjectPool<RecordBatch> _batches = new DefaultObjectPool<RecordBatch>(new RecordBatch.Policy(), MaxPooledBatches);
    private readonly string _retryAfter;
    private int _lastRefusal;

    public IngestHandler(DurableLog log, SiteStore sites, string dataDirectory, IngestServerOptions options, TimeProvider time, ILogger logger, object? meterScope = null)
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
        Metrics = new IngestMetrics(log, meterScope);
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

    /// <summary>
    /// POST /v1/{call}: the Segment HTTP Tracking API; also POST /api/t, the browser tracker's batches, which are
    /// recorded with <paramref name="protocol"/> <see cref="EventProtocol.Tracker"/>.
    /// </summary>
    /// <remarks>
    /// One state machine for the whole request: the body is read from Kestrel's <c>PipeReader</c>, the records are
    /// appended and awaited here (no nested async helpers, each of which would box its own state machine), and the
    /// answer is written with its <c>Content-Length</c> and left to Kestrel to send with the headers in one write.
    /// </remarks>
    public async Task HandleSegmentAsync(HttpContext http, SegmentCall call, EventProtocol protocol = EventProtocol.Segment)
    {
        var started = _time.GetTimestamp();
        var request = http.Request;
        if (_backpressure.Check() is { } refusal)
        {
            Refuse(http, StatusCodes.Status503ServiceUnavailable, refusal.Reason, refusal.Message, field: null);
            return;
        }

        var aborted = http.RequestAborted;
        var read = await RequestBodyReader.ReadAsync(request.BodyReader, request.ContentType, request.Headers.ContentEncoding,
            _segment.MaxBodyBytes(call), request.ContentLength, aborted).ConfigureAwait(false);
        if (read.Body is not { } body)
        {
            var error = read.Error!;
            Metrics.RequestsRejected.Add(1, new KeyValuePair<string, object?>("reason", error.Code));
            WriteResult(http, IngestResult.Fail(error));
            return;
        }

        RecordBatch batch;
        IngestResult result;
        using (body)
        {
            Metrics.BytesReceived.Add(body.Length);
            string? writeKey = WriteKeys.TryParseBasic(request.Headers.Authorization, out var headerKey) ? headerKey
                : SegmentIngest.TryFindWriteKey(body.Span, out var bodyKey) ? bodyKey
                : null;
            if (Authorize(http, writeKey) is not { } site)
            {
                return;
            }

            // The records are copies: the body goes back to its pool now, not after the fsync.
            batch = _batches.Get();
            // A canonical record is about three times the size of the event as sent (it keeps the context whole).
            batch.Reserve(body.Length * 3);
            var context = NewContext(http, site.Id, protocol);
            result = _segment.Parse(call, body.Span, in context, batch);
        }

        try
        {
            CountRejections(result, protocol);
            if (batch.Count > 0)
            {
                (string Reason, string Message)? failure;
                try
                {
                    await _log.AppendBatchAsync(batch.Records(), cancellationToken: aborted).ConfigureAwait(false);
                    failure = null;
                }
                catch (Exception e) when (AppendFailure(e) is { } reason)
                {
                    failure = reason;
                }

                if (failure is { } refused)
                {
                    Metrics.EventsRejected.Add(batch.Count, new KeyValuePair<string, object?>("reason", refused.Reason), new KeyValuePair<string, object?>("protocol", protocol.Name()));
                    Refuse(http, StatusCodes.Status503ServiceUnavailable, refused.Reason, refused.Message, field: null);
                    return;
                }
            }

            Metrics.EventsAccepted.Add(batch.Count, new KeyValuePair<string, object?>("protocol", protocol.Name()));
            Metrics.AckLatency.Record(_time.GetElapsedTime(started).TotalMilliseconds);
            WriteResult(http, in result);
        }
        finally
        {
            _batches.Return(batch);
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
                var context = NewContext(http, site.Id, EventProtocol.Pixel);
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

    /// <summary>What every parser is told of the request: now, the site, the sender's user agent and address.</summary>
    private IngestContext NewContext(HttpContext http, string? siteId, EventProtocol protocol) => new(_time.GetUtcNow())
    {
        SiteId = siteId,
        UserAgent = http.Request.Headers.UserAgent,
        Ip = http.Connection.RemoteIpAddress?.ToString(),
        Protocol = protocol,
    };

    private Site? Authorize(HttpContext http, string? writeKey) => Authorize(
        http, writeKey, "writeKey", "a write key is required: send it as the HTTP Basic user name or as writeKey in the body");

    /// <summary>Finds the site of a write key and admits the request for it, or answers the refusal and returns null.</summary>
    private Site? Authorize(HttpContext http, string? writeKey, string field, string missingMessage)
    {
        if (writeKey is null)
        {
            Refuse(http, StatusCodes.Status401Unauthorized, "missing_write_key", missingMessage, field);
            return null;
        }

        if (!_sites.TryGetByWriteKey(writeKey, out var site))
        {
            Refuse(http, StatusCodes.Status401Unauthorized, "unknown_write_key", "the write key is not known to this server", field);
            return null;
        }

        if (Admit(http, site) is { } refusal)
        {
            Refuse(http, refusal.StatusCode, refusal.Code, refusal.Message, refusal.Field);
            return null;
        }

        return site;
    }

    /// <summary>
    /// The site's own rules for a request: its allowed origins (setting the CORS answer headers when admitted) and its
    /// write key's rate limit. Null admits the request.
    /// </summary>
    private IngestError? Admit(HttpContext http, Site site)
    {
        if (!IngestCors.OriginAllowed(http, site))
        {
            return new IngestError(IngestErrorKind.OriginNotAllowed, "Origin",
                $"the site does not accept events from the origin {http.Request.Headers.Origin}");
        }

        if (_rateLimiter is not null)
        {
            using var lease = _rateLimiter.AttemptAcquire(site.WriteKey);
            if (!lease.IsAcquired)
            {
                return new IngestError(IngestErrorKind.RateLimited, "writeKey",
                    $"this write key sends more than {_options.RequestsPerSecondPerKey} requests a second");
            }
        }

        return null;
    }

    private async Task<(string Reason, string Message)?> TryAppendAsync(RecordBatch batch, CancellationToken aborted)
    {
        try
        {
            await _log.AppendBatchAsync(batch.Records(), cancellationToken: aborted).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (AppendFailure(e) is { } reason)
        {
            return reason;
        }
    }

    /// <summary>Why an append failed, as a refusal reason and message; null for an exception that is not a refusal.</summary>
    private (string Reason, string Message)? AppendFailure(Exception exception)
    {
        switch (exception)
        {
            case LogFullException:
                NoteRefusal(LogState.DiskFull);
                return ("disk_full", "the disk is full; events are accepted again once space is freed");
            case LogFailedException:
                NoteRefusal(LogState.Failed, exception);
                return ("log_failed", "the event log has failed and takes no more events until the server is restarted");
            case ObjectDisposedException:
                return ("stopping", "the server is stopping");
            default:
                return null;
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

    private void CountRejections(in IngestResult result, EventProtocol protocol) => CountRejections(in result, protocol.Name());

    private void Refuse(HttpContext http, int status, string reason, string message, string? field)
    {
        Metrics.RequestsRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));
        var response = http.Response;
        response.StatusCode = status;
        if (status is StatusCodes.Status503ServiceUnavailable or StatusCodes.Status429TooManyRequests)
        {
            response.Headers.RetryAfter = _retryAfter;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("success"u8, false);
            writer.WriteString("error"u8, message);
            writer.WriteString("code"u8, reason);
            if (field is not null)
            {
                writer.WriteString("field"u8, field);
            }

            writer.WriteEndObject();
        }

        WriteJson(response, buffer.WrittenSpan);
    }

    /// <summary>
    /// Writes the answer with its length, so Kestrel sends headers and body in one write when the request ends (a
    /// flush here would send the headers first and force chunked encoding, with a second write for the last chunk).
    /// </summary>
    private static void WriteResult(HttpContext http, in IngestResult result)
    {
        var response = http.Response;
        response.StatusCode = result.StatusCode;
        if (result.BodyError is null && result.Errors.Count == 0)
        {
            // What IngestResponse writes for a plain success, without a JSON writer per request.
            WriteJson(response, SuccessBody);
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        IngestResponse.Write(buffer, in result);
        WriteJson(response, buffer.WrittenSpan);
    }

    private static void WriteJson(HttpResponse response, ReadOnlySpan<byte> json)
    {
        response.ContentType = "application/json";
        response.ContentLength = json.Length;
        response.BodyWriter.Write(json);
    }

    private static ReadOnlySpan<byte> SuccessBody => "{\"success\":true}"u8;
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
