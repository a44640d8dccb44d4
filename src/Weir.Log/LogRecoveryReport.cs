namespace Weir.Log;

/// <summary>What recovery found and did when the log opened.</summary>
public sealed record LogRecoveryReport
{
    /// <summary>Segments found (after any were moved aside).</summary>
    public int Segments { get; init; }

    /// <summary>Valid records in the log.</summary>
    public long RecordsRecovered { get; init; }

    /// <summary>The position after the last valid record: where appends continue.</summary>
    public long EndPosition { get; init; }

    /// <summary>The position of the first byte still in the log (the oldest segment's base).</summary>
    public long StartPosition { get; init; }

    /// <summary>Bytes of a torn tail (an incomplete last write) cut off the last segment.</summary>
    public long TornBytesTruncated { get; init; }

    /// <summary>The file and offset where a torn tail was cut, if one was.</summary>
    public string? TornTailFile { get; init; }

    /// <inheritdoc cref="TornTailFile"/>
    public long TornTailOffset { get; init; }

    /// <summary>With <see cref="LogOptions.Salvage"/>: the corruption that was found, otherwise null.</summary>
    public string? Corruption { get; init; }

    /// <summary>With <see cref="LogOptions.Salvage"/>: bytes moved aside, and the <c>.corrupt</c> files they went to.</summary>
    public long SalvagedBytesDropped { get; init; }

    /// <inheritdoc cref="SalvagedBytesDropped"/>
    public IReadOnlyList<string> CorruptFiles { get; init; } = [];

    /// <summary>
    /// Leftover temporary files (an interrupted segment creation, checkpoint, archive copy or erasure) that were deleted, in
    /// the log directory and the raw zone.
    /// </summary>
    public int TemporaryFilesDeleted { get; init; }

    /// <summary>Consumers with checkpoints.</summary>
    public int Consumers { get; init; }
}
