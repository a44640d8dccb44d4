namespace Weir.Core.Logging;

/// <summary>
/// Each area's block of log event ids. Ids are stable, since people filter and alert on them: add new events at the
/// end of their area's block and never reuse a retired id. The blocks for areas that do not exist yet are reserved.
/// </summary>
public static class LogEventRanges
{
    /// <summary>1000–1099: starting and stopping the server host.</summary>
    public const int Hosting = 1000;

    /// <summary>2000–2999: ingest (reserved).</summary>
    public const int Ingest = 2000;

    /// <summary>3000–3999: the durable log (reserved).</summary>
    public const int Log = 3000;

    /// <summary>4000–4999: loader, lake and compaction (reserved).</summary>
    public const int Lake = 4000;

    /// <summary>5000–5999: queries (reserved).</summary>
    public const int Query = 5000;
}
