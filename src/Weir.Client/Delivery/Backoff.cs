namespace Weir.Client.Delivery;

/// <summary>How long to wait before a retry: exponential with jitter, never less than the server's Retry-After.</summary>
internal static class Backoff
{
    /// <param name="retry">1 for the first retry.</param>
    /// <param name="min">The first retry's base delay.</param>
    /// <param name="max">The longest delay, Retry-After included.</param>
    /// <param name="retryAfter">What the server asked for, if anything.</param>
    public static TimeSpan Delay(int retry, TimeSpan min, TimeSpan max, TimeSpan? retryAfter)
    {
        // min · 2^(retry−1), computed in doubles so a large retry count cannot overflow.
        var exponential = Math.Min(max.TotalMilliseconds, min.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 30)));
        // Half fixed, half random: the delays still grow, and clients that failed together do not retry together.
        var jittered = (exponential / 2) + (Random.Shared.NextDouble() * exponential / 2);
        var delay = TimeSpan.FromMilliseconds(jittered);
        if (retryAfter is { } asked && asked > delay)
        {
            delay = asked;
        }

        // A proxy asking for hours would stall every event behind this batch; MaxRetryDelay bounds it.
        return delay > max ? max : delay;
    }
}
