namespace Weir.Log;

/// <summary>Decides whether a record must be erased, from its payload. Called once per record that is not already erased.</summary>
public delegate bool LogPayloadPredicate(ReadOnlySpan<byte> payload);

/// <summary>What <see cref="DurableLog.EraseAsync"/> did.</summary>
/// <remarks>
/// The counts are per file: a record kept in two places (a crash between archiving a segment and deleting it leaves it in
/// the raw zone and in the log directory) is scanned, and erased, in both.
/// </remarks>
public sealed record LogErasureResult
{
    /// <summary>Records read, in the log directory and in the raw zone, including those already erased before.</summary>
    public long RecordsScanned { get; init; }

    /// <summary>Records this erasure replaced with tombstones.</summary>
    public long RecordsErased { get; init; }

    /// <summary>Segment files and archives read.</summary>
    public int FilesScanned { get; init; }

    /// <summary>Segment files and archives replaced by a copy with tombstones. Files with no match are left as they were.</summary>
    public int FilesRewritten { get; init; }

    /// <summary>
    /// Every record before this position was examined: at least everything committed when the erasure started. Records
    /// appended since may not have been.
    /// </summary>
    public long EndPosition { get; init; }
}
