namespace Weir.Client;

/// <summary>What a <see cref="WeirClient"/> has done so far. Every counter only grows; reads are atomic, not a snapshot of all.</summary>
public sealed class WeirClientStats
{
    private static readonly int ReasonCount = Enum.GetValues<DropReason>().Length;

    private readonly long[] _dropped = new long[ReasonCount];
    private long _enqueued;
    private long _sent;
    private long _requests;
    private long _failedRequests;
    private long _retries;

    internal WeirClientStats()
    {
    }

    /// <summary>Events taken into the queue.</summary>
    public long Enqueued => Volatile.Read(ref _enqueued);

    /// <summary>Events the server acknowledged as stored.</summary>
    public long Sent => Volatile.Read(ref _sent);

    /// <summary>Events dropped, for every reason together.</summary>
    public long Dropped
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _dropped.Length; i++)
            {
                total += Volatile.Read(ref _dropped[i]);
            }

            return total;
        }
    }

    /// <summary>Requests sent, whatever their outcome.</summary>
    public long Requests => Volatile.Read(ref _requests);

    /// <summary>Requests that did not succeed: network errors, timeouts and every non-2xx answer.</summary>
    public long FailedRequests => Volatile.Read(ref _failedRequests);

    /// <summary>Requests that were retries of an earlier one.</summary>
    public long Retries => Volatile.Read(ref _retries);

    /// <summary>Events dropped for <paramref name="reason"/>.</summary>
    public long DroppedFor(DropReason reason) => Volatile.Read(ref _dropped[(int)reason]);

    public override string ToString() =>
        $"enqueued {Enqueued}, sent {Sent}, dropped {Dropped} (queue full {DroppedFor(DropReason.QueueFull)}, too large {DroppedFor(DropReason.TooLarge)}, " +
        $"invalid {DroppedFor(DropReason.InvalidEvent)}, rejected {DroppedFor(DropReason.Rejected)}, retries exhausted {DroppedFor(DropReason.RetriesExhausted)}, " +
        $"shutdown {DroppedFor(DropReason.Shutdown)}), requests {Requests}, failed {FailedRequests}, retries {Retries}";

    internal void AddEnqueued() => Interlocked.Increment(ref _enqueued);

    internal void AddSent(long count) => Interlocked.Add(ref _sent, count);

    internal void AddDropped(DropReason reason, long count = 1) => Interlocked.Add(ref _dropped[(int)reason], count);

    internal void AddRequest() => Interlocked.Increment(ref _requests);

    internal void AddFailedRequest() => Interlocked.Increment(ref _failedRequests);

    internal void AddRetry() => Interlocked.Increment(ref _retries);
}
