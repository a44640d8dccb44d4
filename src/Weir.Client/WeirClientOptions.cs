namespace Weir.Client;

/// <summary>Where a <see cref="WeirClient"/> sends its events and how it batches and retries them.</summary>
/// <remarks>
/// Settable rather than init-only so that <c>services.AddWeirClient(o =&gt; …)</c> and configuration binding can fill
/// it; the client checks it once, in its constructor, and copies what it needs.
/// </remarks>
public sealed class WeirClientOptions
{
    /// <summary>The Weir server's base address, for example <c>https://weir.example.com/</c>. Required.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The site's write key, sent as the HTTP Basic user name. Required.</summary>
    public string? WriteKey { get; set; }

    /// <summary>
    /// How many events the client holds at most, queued and in flight together. Past it, new events are dropped
    /// (<see cref="DropReason.QueueFull"/>) rather than making the caller wait. Default 10 000.
    /// </summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// A batch is sent as soon as this many events are queued. Default 500: the sender has one request in flight at a
    /// time, and each costs the server an fsync, so larger batches carry more events a second.
    /// </summary>
    public int MaxBatchEvents { get; set; } = 500;

    /// <summary>
    /// The most bytes one request body may hold before compression. Default 512 000, the server's 500 KB batch limit.
    /// </summary>
    public int MaxBatchBytes { get; set; } = 512_000;

    /// <summary>
    /// The most bytes one event may take, as JSON. Larger events are dropped at once (<see cref="DropReason.TooLarge"/>).
    /// Default 32 768, the server's limit.
    /// </summary>
    public int MaxEventBytes { get; set; } = 32 * 1024;

    /// <summary>No event waits longer than this in the queue before its batch is sent, full or not. Default 5 s.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many times a batch is sent again after a network error, a timeout, 408, 429 or 5xx before its events are
    /// dropped (<see cref="DropReason.RetriesExhausted"/>). Default 10, which with the default delays rides out an
    /// outage of about four minutes.
    /// </summary>
    public int MaxRetries { get; set; } = 10;

    /// <summary>The first retry's delay; each further one doubles it, with jitter. Default 500 ms.</summary>
    public TimeSpan MinRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait before a retry, including one the server asks for with Retry-After. Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one request may take before it counts as failed and is retried. Default 15 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long <see cref="WeirClient.DisposeAsync"/> keeps trying to deliver what is queued before it drops the rest
    /// (<see cref="DropReason.Shutdown"/>). Default 10 s.
    /// </summary>
    public TimeSpan DisposeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether request bodies are gzip-compressed. Default true.</summary>
    public bool Gzip { get; set; } = true;

    /// <summary>
    /// Serializes property, trait and context values of types the client does not know itself (it knows strings,
    /// numbers, booleans, dates, Guids, enums, dictionaries, lists and System.Text.Json's DOM types). Give options
    /// whose <c>TypeInfoResolver</c> is your source-generated context. Without it, an event holding such a value is
    /// dropped (<see cref="DropReason.InvalidEvent"/>).
    /// </summary>
    public System.Text.Json.JsonSerializerOptions? SerializerOptions { get; set; }
}
