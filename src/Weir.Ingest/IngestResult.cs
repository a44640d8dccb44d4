namespace Weir.Ingest;

/// <summary>
/// The outcome of parsing one request. A body error rejects the whole request; otherwise each invalid event is in
/// <see cref="Errors"/> with its index and every valid one went to the sink (<see cref="Accepted"/>).
/// </summary>
public readonly struct IngestResult
{
    private readonly IReadOnlyList<IngestError>? _errors;

    public IngestResult(int accepted, IReadOnlyList<IngestError>? errors, IngestError? bodyError, string? writeKey)
    {
        Accepted = accepted;
        _errors = errors;
        BodyError = bodyError;
        WriteKey = writeKey;
    }

    /// <summary>Events handed to the sink.</summary>
    public int Accepted { get; }

    /// <summary>Per-event rejections, in body order (empty when none).</summary>
    public IReadOnlyList<IngestError> Errors => _errors ?? [];

    /// <summary>The error that rejected the whole body, if any.</summary>
    public IngestError? BodyError { get; }

    /// <summary>The <c>writeKey</c> the body carried (top level, or the first batch item's), if any.</summary>
    public string? WriteKey { get; }

    public int Rejected => Errors.Count;

    /// <summary>True when nothing went wrong with the body and at least one event (or an empty batch) was accepted.</summary>
    public bool IsSuccess => BodyError is null && (Accepted > 0 || Errors.Count == 0);

    /// <summary>
    /// The HTTP status to answer: the body error's status; else 200 when any event was accepted (or the batch was
    /// empty); else the first event error's status (400 or 413).
    /// </summary>
    public int StatusCode =>
        BodyError is { } body ? body.StatusCode
        : Accepted > 0 || Errors.Count == 0 ? 200
        : Errors[0].StatusCode;

    /// <summary>A result that rejects the whole body.</summary>
    public static IngestResult Fail(IngestError error, string? writeKey = null) => new(0, null, error, writeKey);
}
