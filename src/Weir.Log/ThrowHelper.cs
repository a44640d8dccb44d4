using System.Diagnostics.CodeAnalysis;

namespace Weir.Log;

/// <summary>Throw sites kept out of line, so the append path stays small enough to inline.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    internal static void InvalidOption(string name, string rule) =>
        throw new ArgumentException($"LogOptions.{name} {rule}.", name);

    [DoesNotReturn]
    internal static void RecordTooLarge(int length, int max) =>
        throw new ArgumentException($"A record holds 1 to {max} bytes (LogOptions.MaxRecordBytes); this one has {length}.");

    [DoesNotReturn]
    internal static void BatchTooLarge(long length, int max) =>
        throw new ArgumentException($"A batch's frames must fit in LogOptions.MaxBatchBytes ({max} bytes); these take {length}.");

    [DoesNotReturn]
    internal static void Failed(Exception cause) =>
        throw new LogFailedException("The log has failed after an I/O error and accepts no appends; reopen it after checking the disk.", cause);

    [DoesNotReturn]
    internal static void Disposed() => throw new ObjectDisposedException(nameof(DurableLog));

    [DoesNotReturn]
    internal static void BadConsumerName(string name) =>
        throw new ArgumentException($"'{name}' is not a valid consumer name: use 1-64 of A-Z a-z 0-9 _ - . (not starting with a dot).", nameof(name));

    [DoesNotReturn]
    internal static void UnknownConsumer(string name) =>
        throw new KeyNotFoundException($"No consumer named '{name}' is registered.");

    [DoesNotReturn]
    internal static void CheckpointOutOfRange(long position, long committed) =>
        throw new ArgumentOutOfRangeException(nameof(position), position, $"A checkpoint must lie between 0 and the committed position ({committed}).");

    [DoesNotReturn]
    internal static void PositionGone(long position, long start) =>
        throw new InvalidOperationException($"Position {position} is no longer in the log, which starts at {start}; replay the raw zone instead.");
}
