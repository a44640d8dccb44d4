using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weir.Client.Delivery;
using Weir.Client.Events;
using ClientLog = Weir.Client.Logging.Log;

namespace Weir.Client;

/// <summary>
/// Sends events to a Weir server's Segment endpoint (<c>POST /v1/batch</c>) from a bounded in-memory queue, in
/// batches by count, size and time, with retries. Calls never block: a full queue drops the event and counts it.
/// </summary>
/// <remarks>
/// Thread-safe; make one per process and dispose it at the end, which delivers what is still queued (up to
/// <see cref="WeirClientOptions.DisposeTimeout"/>). In a host, <c>services.AddWeirClient(…)</c> does both.
/// Delivery is at least once: a request that timed out may have been stored, and is sent again with the same
/// message ids, which the server's loader de-duplicates.
/// </remarks>
public sealed partial class WeirClient : IWeirClient, IAsyncDisposable, IDisposable
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly Uri _batchUri;
    private readonly AuthenticationHeaderValue _authorization;
    private readonly EventWriter _writer;
    private readonly BatchBody _body = new();
    private readonly int _capacity;
    private readonly int _maxBatchEvents;
    private readonly int _maxBatchBytes;
    private readonly int _maxEventBytes;
    private readonly TimeSpan _flushInterval;
    private readonly int _maxRetries;
    private readonly TimeSpan _minRetryDelay;
    private readonly TimeSpan _maxRetryDelay;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan _disposeTimeout;
    private readonly bool _gzip;

    // The queue and its counts. Events are numbered in queue order under the lock, so a flush can name the last
    // event it covers and know it is done once that many events were resolved, in order, by the single sender.
    private readonly Lock _gate = new();
    private readonly Queue<QueuedEvent> _pending = new();
    private readonly List<QueuedEvent> _batch = [];
    private readonly List<(long Target, TaskCompletionSource Done)> _flushWaiters = [];
    private readonly WakeSignal _wake = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly Task _sender;
    private long _pendingBytes;
    private int _inFlight;
    private long _enqueuedTotal;
    private long _resolvedTotal;
    private bool _stopping;
    private int _queueFullLogged;
    private int _disposed;

    /// <param name="options">Where to send and how; checked here.</param>
    /// <param name="httpClient">The client to send with; one of the client's own when null. A given one is not disposed.</param>
    /// <param name="loggerFactory">For the <c>Weir.Client</c> log category; nothing is logged when null.</param>
    /// <param name="timeProvider">The clock for timestamps, the flush interval and retry delays; the system clock when null.</param>
    /// <exception cref="ArgumentException">An option is missing or out of range; the message names it.</exception>
    public WeirClient(WeirClientOptions options, HttpClient? httpClient = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(ClientLog.Category);
        _time = timeProvider ?? TimeProvider.System;
        _capacity = options.QueueCapacity;
        _maxBatchEvents = options.MaxBatchEvents;
        _maxBatchBytes = options.MaxBatchBytes;
        _maxEventBytes = options.MaxEventBytes;
        _flushInterval = options.FlushInterval;
        _maxRetries = options.MaxRetries;
        _minRetryDelay = options.MinRetryDelay;
        _maxRetryDelay = options.MaxRetryDelay;
        _requestTimeout = options.RequestTimeout;
        _disposeTimeout = options.DisposeTimeout;
        _gzip = options.Gzip;
        _writer = new EventWriter(options.SerializerOptions);

        var endpoint = options.Endpoint!.AbsoluteUri;
        _batchUri = new Uri(new Uri(endpoint.EndsWith('/') ? endpoint : endpoint + "/"), "v1/batch");
        _authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(options.WriteKey + ":")));
        _ownsHttp = httpClient is null;
        // Per-request timeouts come from RequestTimeout; pooled connections are renewed so DNS changes are seen.
        _http = httpClient ?? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _sender = Task.Run(RunSenderAsync);
    }

    /// <inheritdoc />
    public WeirClientStats Stats { get; } = new();

    /// <summary>Events queued or in flight right now.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count + _inFlight;
            }
        }
    }

    /// <inheritdoc />
    public bool Track(string? userId, string eventName, IReadOnlyDictionary<string, object?>? properties = null, EventOptions options = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        RequireIdentity(userId, in options);
        return Enqueue(EventType.Track, userId, eventName, properties, in options);
    }

    /// <inheritdoc />
    public bool Page(string? userId, string? name = null, IReadOnlyDictionary<string, object?>? properties = null, EventOptions options = default)
    {
        RequireIdentity(userId, in options);
        return Enqueue(EventType.Page, userId, name, properties, in options);
    }

    /// <inheritdoc />
    public bool Identify(string? userId, IReadOnlyDictionary<string, object?>? traits = null, EventOptions options = default)
    {
        RequireIdentity(userId, in options);
        return Enqueue(EventType.Identify, userId, null, traits, in options);
    }

    /// <inheritdoc />
    public bool Group(string? userId, string groupId, IReadOnlyDictionary<string, object?>? traits = null, EventOptions options = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        RequireIdentity(userId, in options);
        return Enqueue(EventType.Group, userId, groupId, traits, in options);
    }

    /// <inheritdoc />
    public bool Alias(string userId, string previousId, EventOptions options = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentException.ThrowIfNullOrEmpty(previousId);
        return Enqueue(EventType.Alias, userId, previousId, null, in options);
    }

    /// <inheritdoc />
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            if (_resolvedTotal >= _enqueuedTotal)
            {
                return Task.CompletedTask;
            }

            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _flushWaiters.Add((_enqueuedTotal, done));
        }

        _wake.Set();
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Stops taking events, delivers what is queued for up to <see cref="WeirClientOptions.DisposeTimeout"/>, then
    /// drops the rest (<see cref="DropReason.Shutdown"/>).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _sender.ConfigureAwait(false);
            return;
        }

        lock (_gate)
        {
            _stopping = true;
        }

        _wake.Set();
        try
        {
            await _sender.WaitAsync(_disposeTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var undelivered = Pending;
            await _abort.CancelAsync().ConfigureAwait(false);
            await _sender.ConfigureAwait(false);
            ClientLog.UndeliveredAtShutdown(_logger, undelivered, _disposeTimeout);
        }

        _abort.Dispose();
        _body.Dispose();
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    /// <summary>As <see cref="DisposeAsync"/>, blocking the calling thread for up to the dispose timeout.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private bool Enqueue(EventType type, string? userId, string? text, IReadOnlyDictionary<string, object?>? members, in EventOptions options)
    {
        if (Volatile.Read(ref _stopping))
        {
            Stats.AddDropped(DropReason.Shutdown);
            return false;
        }

        QueuedEvent queued;
        try
        {
            if (!_writer.TryWrite(type, userId, text, members, in options, _time.GetUtcNow(), _time.GetTimestamp(), _maxEventBytes, out queued, out var size))
            {
                Stats.AddDropped(DropReason.TooLarge);
                ClientLog.EventTooLarge(_logger, Encoding.UTF8.GetString(EventTypes.Name(type)), size, _maxEventBytes);
                return false;
            }
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException or JsonException)
        {
            Stats.AddDropped(DropReason.InvalidEvent);
            ClientLog.EventInvalid(_logger, Encoding.UTF8.GetString(EventTypes.Name(type)), e);
            return false;
        }

        DropReason? refused = null;
        var wake = false;
        lock (_gate)
        {
            if (_stopping)
            {
                refused = DropReason.Shutdown;
            }
            else if (_pending.Count + _inFlight >= _capacity)
            {
                refused = DropReason.QueueFull;
            }
            else
            {
                _pending.Enqueue(queued);
                _pendingBytes += queued.Length + 1;
                _enqueuedTotal++;
                // The first event wakes the sender too: it sleeps without a deadline while the queue is empty, and
                // must start this event's flush interval.
                wake = _pending.Count == 1 || FullBatchQueued;
            }
        }

        if (refused is { } reason)
        {
            ArrayPool<byte>.Shared.Return(queued.Buffer);
            Stats.AddDropped(reason);
            if (reason == DropReason.QueueFull && Interlocked.Exchange(ref _queueFullLogged, 1) == 0)
            {
                ClientLog.QueueFull(_logger, _capacity);
            }

            return false;
        }

        Stats.AddEnqueued();
        if (wake)
        {
            _wake.Set();
        }

        return true;
    }

    private static void RequireIdentity(string? userId, in EventOptions options)
    {
        if (string.IsNullOrEmpty(userId) && string.IsNullOrEmpty(options.AnonymousId))
        {
            throw new ArgumentException("every call needs a user id or EventOptions.AnonymousId", nameof(userId));
        }
    }

    private static void Validate(WeirClientOptions options)
    {
        if (options.Endpoint is not { IsAbsoluteUri: true } endpoint || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("WeirClientOptions.Endpoint must be an absolute http or https address", nameof(options));
        }

        if (string.IsNullOrEmpty(options.WriteKey))
        {
            throw new ArgumentException("WeirClientOptions.WriteKey is required", nameof(options));
        }

        Require(options.QueueCapacity > 0, "QueueCapacity must be positive");
        Require(options.MaxBatchEvents > 0, "MaxBatchEvents must be positive");
        Require(options.MaxEventBytes > 0, "MaxEventBytes must be positive");
        Require(options.MaxBatchBytes >= options.MaxEventBytes + BatchBody.EnvelopeBytes,
            $"MaxBatchBytes must leave room for one event of MaxEventBytes and the {BatchBody.EnvelopeBytes}-byte envelope");
        Require(options.FlushInterval > TimeSpan.Zero, "FlushInterval must be positive");
        Require(options.MaxRetries >= 0, "MaxRetries must not be negative");
        Require(options.MinRetryDelay > TimeSpan.Zero && options.MaxRetryDelay >= options.MinRetryDelay,
            "MinRetryDelay must be positive and MaxRetryDelay at least as long");
        Require(options.RequestTimeout > TimeSpan.Zero, "RequestTimeout must be positive");
        Require(options.DisposeTimeout >= TimeSpan.Zero, "DisposeTimeout must not be negative");

        static void Require(bool condition, string message)
        {
            if (!condition)
            {
                throw new ArgumentException("WeirClientOptions." + message, nameof(options));
            }
        }
    }

    /// <summary>Whether the queue holds a whole batch, by count or by size. Under <c>_gate</c>.</summary>
    private bool FullBatchQueued => _pending.Count >= _maxBatchEvents || _pendingBytes >= _maxBatchBytes - BatchBody.EnvelopeBytes;
}
