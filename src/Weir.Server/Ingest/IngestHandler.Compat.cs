using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Weir.Core.Events;
using Weir.Core.Sites;
using Weir.Ingest;
using Weir.Ingest.Body;
using Weir.Ingest.Plausible;
using Weir.Ingest.Posthog;

namespace Weir.Server.Ingest;

/// <summary>
/// The compatibility endpoints: other products' SDKs, unchanged but for their host, send to Weir. Plausible's
/// <c>/api/event</c>, PostHog's capture endpoints with the start-up calls posthog-js makes, and the settings
/// analytics.js fetches before it sends. They share the Segment route's steps: backpressure, body decoding, site,
/// one group commit per request, the answer only once durable.
/// </summary>
internal sealed partial class IngestHandler
{
    private PlausibleIngest? _plausibleIngest;
    private PosthogIngest? _posthogIngest;

    private PlausibleIngest Plausible => _plausibleIngest ??= new PlausibleIngest(_options.Limits);

    private PosthogIngest Posthog => _posthogIngest ??= new PosthogIngest(_options.Limits);

    /// <summary>POST /api/event: Plausible's Events API. 202 when stored, as Plausible answers.</summary>
    public async Task HandlePlausibleAsync(HttpContext http)
    {
        var started = _time.GetTimestamp();
        var request = http.Request;

        // Plausible's trackers post cross-origin as text/plain (no preflight); every answer names the origin so the
        // page can read even an error.
        if (request.Headers.Origin.Count > 0)
        {
            http.Response.Headers.AccessControlAllowOrigin = request.Headers.Origin;
            http.Response.Headers.Vary = "Origin";
        }

        if (await ReadBodyAsync(http, Plausible.MaxBodyBytes, posthog: false).ConfigureAwait(false) is not { } body)
        {
            return;
        }

        RecordBatch batch;
        IngestResult result;
        using (body)
        {
            Metrics.BytesReceived.Add(body.Length);
            batch = _batches.Get();
            batch.Reserve(body.Length * 4);
            // Server-side senders pass the visitor's address in X-Forwarded-For; it is the request's address only when
            // the sender is a trusted proxy (the forwarded-headers middleware has then set it), as anyone can send it.
            var context = NewContext(http, siteId: null, EventProtocol.Plausible);
            var sites = new DomainSites(this, http);
            var sink = batch;
            result = Plausible.Parse(body.Span, in context, ref sites, ref sink);
        }

        await CommitAsync(http, batch, result, "plausible", started, StatusCodes.Status202Accepted, PlausibleSuccessBody).ConfigureAwait(false);
    }

    /// <summary>POST /e/, /i/v0/e/, /capture/, /batch/ (with or without the slash): PostHog's capture API.</summary>
    public async Task HandlePosthogAsync(HttpContext http)
    {
        var started = _time.GetTimestamp();
        if (await ReadBodyAsync(http, Posthog.MaxBodyBytes, posthog: true).ConfigureAwait(false) is not { } body)
        {
            return;
        }

        RecordBatch batch;
        IngestResult result;
        using (body)
        {
            Metrics.BytesReceived.Add(body.Length);
            var key = PosthogIngest.TryFindApiKey(body.Span, out var found) ? found : null;
            if (key is null && Posthog.CheckSyntax(body.Span) is { } syntax)
            {
                Metrics.RequestsRejected.Add(1, new KeyValuePair<string, object?>("reason", syntax.Code));
                WriteResult(http, IngestResult.Fail(syntax));
                return;
            }

            if (Authorize(http, key, "api_key", "a project API key is required: PostHog's SDKs send it as api_key, token or properties.token") is not { } site)
            {
                return;
            }

            batch = _batches.Get();
            batch.Reserve(body.Length * 2);
            var context = NewContext(http, site.Id, EventProtocol.Posthog);
            result = Posthog.Parse(body.Span, in context, batch);
        }

        await CommitAsync(http, batch, result, "posthog", started, StatusCodes.Status200OK, PosthogSuccessBody).ConfigureAwait(false);
    }

    /// <summary>
    /// GET /array/{token}/config and /config.js: posthog-js's remote configuration at start-up. An empty one turns off
    /// what Weir does not serve (feature flags, session recording, surveys, site apps) and offers the body encodings
    /// the capture endpoints read.
    /// </summary>
    public Task HandlePosthogConfigAsync(HttpContext http, string token, bool script)
    {
        AllowAnyOrigin(http);
        if (!_sites.TryGetByWriteKey(token, out _))
        {
            return WriteErrorAsync(http, StatusCodes.Status404NotFound, "unknown_write_key", "no site here has this project API key", "token");
        }

        var buffer = new ArrayBufferWriter<byte>(512);
        if (script)
        {
            buffer.Write("(function(){var c=window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{};c["u8);
            using (var key = new Utf8JsonWriter(buffer))
            {
                key.WriteStringValue(token);
            }

            buffer.Write("]={config:"u8);
            WritePosthogConfig(buffer, token);
            buffer.Write(",siteApps:[]};})();"u8);
            http.Response.ContentType = "application/javascript";
        }
        else
        {
            WritePosthogConfig(buffer, token);
            http.Response.ContentType = "application/json";
        }

        http.Response.ContentLength = buffer.WrittenCount;
        return http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted).AsTask();
    }

    /// <summary>POST /flags/ and /decide/: no feature flags, in the shape of both the current and the older answer.</summary>
    public Task HandlePosthogFlagsAsync(HttpContext http)
    {
        AllowAnyOrigin(http);
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("flags"u8);
            w.WriteEndObject();
            w.WriteStartObject("featureFlags"u8);
            w.WriteEndObject();
            w.WriteStartObject("featureFlagPayloads"u8);
            w.WriteEndObject();
            w.WriteBoolean("errorsWhileComputingFlags"u8, false);
            w.WriteStartArray("quotaLimited"u8);
            w.WriteEndArray();
            w.WriteString("requestId"u8, Guid.CreateVersion7(_time.GetUtcNow()));
            // /decide's older answer also carried the configuration.
            w.WriteStartObject("config"u8);
            w.WriteBoolean("enable_collect_everything"u8, false);
            w.WriteEndObject();
            WriteConfigMembers(w);
            w.WriteEndObject();
        }

        WriteJson(http.Response, buffer.WrittenSpan);
        return Task.CompletedTask;
    }

    /// <summary>
    /// GET /v1/projects/{writeKey}/settings: what analytics.js loads from Segment's CDN before it sends. Pointing its
    /// <c>cdnURL</c> at Weir makes it send to this server's <c>/v1</c> (the Segment.io integration's <c>apiHost</c>).
    /// </summary>
    public Task HandleSegmentSettingsAsync(HttpContext http, string writeKey)
    {
        AllowAnyOrigin(http);
        if (!_sites.TryGetByWriteKey(writeKey, out _))
        {
            return WriteErrorAsync(http, StatusCodes.Status404NotFound, "unknown_write_key", "no site here has this write key", "writeKey");
        }

        var request = http.Request;
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("integrations"u8);
            w.WriteStartObject("Segment.io"u8);
            w.WriteString("apiKey"u8, writeKey);
            w.WriteString("apiHost"u8, request.Host.Value + request.PathBase.Value + "/v1");
            w.WriteString("protocol"u8, request.Scheme);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("plan"u8);
            w.WriteStartObject("track"u8);
            w.WriteStartObject("__default"u8);
            w.WriteBoolean("enabled"u8, true);
            w.WriteStartObject("integrations"u8);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("identify"u8);
            w.WriteStartObject("__default"u8);
            w.WriteBoolean("enabled"u8, true);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("group"u8);
            w.WriteStartObject("__default"u8);
            w.WriteBoolean("enabled"u8, true);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("edgeFunction"u8);
            w.WriteEndObject();
            w.WriteBoolean("analyticsNextEnabled"u8, true);
            w.WriteStartObject("middlewareSettings"u8);
            w.WriteEndObject();
            w.WriteStartObject("enabledMiddleware"u8);
            w.WriteEndObject();
            // Segment's own delivery metrics would go to its servers: none are sampled.
            w.WriteStartObject("metrics"u8);
            w.WriteNumber("sampleRate"u8, 0);
            w.WriteEndObject();
            w.WriteBoolean("legacyVideoPluginsEnabled"u8, false);
            w.WriteStartArray("remotePlugins"u8);
            w.WriteEndArray();
            w.WriteEndObject();
        }

        WriteJson(http.Response, buffer.WrittenSpan);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Appends a request's records in one group commit and answers once they are durable: <paramref name="successStatus"/>
    /// and <paramref name="successBody"/> when every event was taken, the standard answer with per-event errors
    /// otherwise, 503 when the log refused. Returns the batch to its pool.
    /// </summary>
    private async Task CommitAsync(HttpContext http, RecordBatch batch, IngestResult result, string protocol, long started, int successStatus, ReadOnlyMemory<byte> successBody)
    {
        try
        {
            CountRejections(in result, protocol);
            if (batch.Count > 0 && await TryAppendAsync(batch, http.RequestAborted).ConfigureAwait(false) is { } refused)
            {
                Metrics.EventsRejected.Add(batch.Count, new KeyValuePair<string, object?>("reason", refused.Reason), new KeyValuePair<string, object?>("protocol", protocol));
                Refuse(http, StatusCodes.Status503ServiceUnavailable, refused.Reason, refused.Message, field: null);
                return;
            }

            Metrics.EventsAccepted.Add(batch.Count, new KeyValuePair<string, object?>("protocol", protocol));
            Metrics.AckLatency.Record(_time.GetElapsedTime(started).TotalMilliseconds);
            var response = http.Response;
            if (result.BodyError is null && result.Errors.Count == 0)
            {
                response.StatusCode = successStatus;
                WriteJson(response, successBody.Span);
                return;
            }

            response.StatusCode = result.StatusCode == StatusCodes.Status200OK ? successStatus : result.StatusCode;
            if (result.BodyError is null && result.Accepted == 0 && result.Errors[0].Kind is IngestErrorKind.RateLimited)
            {
                response.Headers.RetryAfter = _retryAfter;
            }

            var buffer = new ArrayBufferWriter<byte>(256);
            IngestResponse.Write(buffer, in result);
            WriteJson(response, buffer.WrittenSpan);
        }
        finally
        {
            _batches.Return(batch);
        }
    }

    /// <summary>
    /// Checks backpressure, then reads and decodes the body (for PostHog also its gzip-js, base64 and form encodings).
    /// Null once a refusal is answered.
    /// </summary>
    private async ValueTask<RequestBody?> ReadBodyAsync(HttpContext http, int maxBytes, bool posthog)
    {
        if (_backpressure.Check() is { } refusal)
        {
            Refuse(http, StatusCodes.Status503ServiceUnavailable, refusal.Reason, refusal.Message, field: null);
            return null;
        }

        // Form bodies (data=…) come only from PostHog's older clients; the reader's media type check is for JSON.
        var request = http.Request;
        var isForm = posthog && PosthogBody.IsForm(request.ContentType);
        var read = await RequestBodyReader.ReadAsync(request.BodyReader, isForm ? null : request.ContentType, request.Headers.ContentEncoding,
            maxBytes, request.ContentLength, http.RequestAborted).ConfigureAwait(false);
        if (posthog && read.Body is { } raw)
        {
            read = PosthogBody.Decode(raw, isForm, request.Query["compression"], maxBytes);
        }

        if (read.Body is { } body)
        {
            return body;
        }

        var error = read.Error!;
        Metrics.RequestsRejected.Add(1, new KeyValuePair<string, object?>("reason", error.Code));
        WriteResult(http, IngestResult.Fail(error));
        return null;
    }

    private void CountRejections(in IngestResult result, string protocol)
    {
        foreach (var error in result.Errors)
        {
            Metrics.EventsRejected.Add(1, new KeyValuePair<string, object?>("reason", error.Code), new KeyValuePair<string, object?>("protocol", protocol));
        }

        if (result.BodyError is { } body)
        {
            Metrics.RequestsRejected.Add(1, new KeyValuePair<string, object?>("reason", body.Code));
        }
    }

    private static void AllowAnyOrigin(HttpContext http)
    {
        var origin = http.Request.Headers.Origin;
        http.Response.Headers.AccessControlAllowOrigin = origin.Count > 0 ? origin : "*";
        http.Response.Headers.Vary = "Origin";
    }

    private static Task WriteErrorAsync(HttpContext http, int status, string code, string message, string field)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteBoolean("success"u8, false);
            w.WriteString("error"u8, $"{field}: {message}");
            w.WriteString("code"u8, code);
            w.WriteString("field"u8, field);
            w.WriteEndObject();
        }

        http.Response.StatusCode = status;
        WriteJson(http.Response, buffer.WrittenSpan);
        return Task.CompletedTask;
    }

    private static void WritePosthogConfig(ArrayBufferWriter<byte> buffer, string token)
    {
        using var w = new Utf8JsonWriter(buffer);
        w.WriteStartObject();
        w.WriteString("token"u8, token);
        WriteConfigMembers(w);
        w.WriteEndObject();
    }

    /// <summary>The remote configuration members: what Weir does not serve is off, so posthog-js loads nothing more.</summary>
    private static void WriteConfigMembers(Utf8JsonWriter w)
    {
        w.WriteStartArray("supportedCompression"u8);
        w.WriteStringValue("gzip-js"u8);
        w.WriteStringValue("base64"u8);
        w.WriteEndArray();
        w.WriteBoolean("hasFeatureFlags"u8, false);
        w.WriteBoolean("sessionRecording"u8, false);
        w.WriteBoolean("heatmaps"u8, false);
        // No surveys or product tours member at all: posthog-js loads their scripts for a false value too.
        w.WriteBoolean("captureDeadClicks"u8, false);
        w.WriteBoolean("capturePerformance"u8, false);
        w.WriteBoolean("autocaptureExceptions"u8, false);
        w.WriteBoolean("autocapture_opt_out"u8, false);
        w.WriteBoolean("elementsChainAsString"u8, true);
        w.WriteBoolean("defaultIdentifiedOnly"u8, true);
        w.WriteStartObject("toolbarParams"u8);
        w.WriteEndObject();
        w.WriteStartArray("siteApps"u8);
        w.WriteEndArray();
    }

    private static ReadOnlyMemory<byte> PlausibleSuccessBody { get; } = "{\"success\":true}"u8.ToArray();

    private static ReadOnlyMemory<byte> PosthogSuccessBody { get; } = "{\"status\":1}"u8.ToArray();

    /// <summary>Plausible's domains to sites, with each site's origin rules and rate limit.</summary>
    private readonly struct DomainSites(IngestHandler handler, HttpContext http) : IDomainResolver
    {
        public string? Resolve(scoped ReadOnlySpan<char> domain, out IngestError? refusal)
        {
            if (!handler._sites.TryGetByDomain(domain, out Site site))
            {
                refusal = new IngestError(IngestErrorKind.UnknownDomain, "domain",
                    $"no site here has the domain '{domain}'; add it with POST /api/v1/sites (a leading www. is ignored)");
                return null;
            }

            refusal = handler.Admit(http, site);
            return refusal is null ? site.Id : null;
        }
    }
}
