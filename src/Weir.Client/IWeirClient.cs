namespace Weir.Client;

/// <summary>
/// Segment-style calls that queue an event and return at once; a background sender batches and delivers them. Every
/// call needs a user id or <see cref="EventOptions.AnonymousId"/>. Each returns true when the event was queued and
/// false when it was dropped (counted in <see cref="Stats"/> by reason). It never waits for the network.
/// </summary>
public interface IWeirClient
{
    /// <summary>What the client has queued, sent and dropped so far.</summary>
    WeirClientStats Stats { get; }

    /// <summary>Records that the user did something.</summary>
    bool Track(string? userId, string eventName, IReadOnlyDictionary<string, object?>? properties = null, EventOptions options = default);

    /// <summary>Records a page view; put <c>url</c>, <c>path</c>, <c>title</c>, <c>referrer</c> in the properties.</summary>
    bool Page(string? userId, string? name = null, IReadOnlyDictionary<string, object?>? properties = null, EventOptions options = default);

    /// <summary>Ties the user to their traits (email, plan, …).</summary>
    bool Identify(string? userId, IReadOnlyDictionary<string, object?>? traits = null, EventOptions options = default);

    /// <summary>Ties the user to a group (a company, an account) and the group's traits.</summary>
    bool Group(string? userId, string groupId, IReadOnlyDictionary<string, object?>? traits = null, EventOptions options = default);

    /// <summary>Says that <paramref name="previousId"/> (often an anonymous id) and <paramref name="userId"/> are the same person.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716", Justification = "Segment's name for the call, which every Segment user knows")]
    bool Alias(string userId, string previousId, EventOptions options = default);

    /// <summary>
    /// Sends everything queued before the call without waiting for the flush interval, and completes once each of
    /// those events was acknowledged by the server or dropped.
    /// </summary>
    Task FlushAsync(CancellationToken cancellationToken = default);
}
