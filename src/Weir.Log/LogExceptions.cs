namespace Weir.Log;

/// <summary>The disk is full (ENOSPC): these appends were not made durable. The log stays consistent and retries by itself.</summary>
public sealed class LogFullException : IOException
{
    public LogFullException()
        : base("The log's disk is full; the append was not made durable. Appends succeed again once space is freed.")
    {
    }

    public LogFullException(string message) : base(message)
    {
    }

    public LogFullException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>
/// The log failed permanently (a write or an fsync returned an I/O error). Nothing appended from then on is durable, and
/// the log must be reopened (after the disk is checked); see docs/log.md for why an fsync is never retried.
/// </summary>
public sealed class LogFailedException : IOException
{
    public LogFailedException() : base("The log has failed; reopen it after checking the disk.")
    {
    }

    public LogFailedException(string message) : base(message)
    {
    }

    public LogFailedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>Damage in the log that a crash cannot explain. <see cref="FilePath"/> and <see cref="FileOffset"/> say where.</summary>
public sealed class LogCorruptionException : IOException
{
    public LogCorruptionException()
    {
    }

    public LogCorruptionException(string message) : base(message)
    {
    }

    public LogCorruptionException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public LogCorruptionException(string filePath, long fileOffset, string problem)
        : base($"The log is corrupt: {problem} in '{filePath}' at byte offset {fileOffset}. "
            + "Open it with LogOptions.Salvage to keep the valid records before this point and move the rest aside.")
    {
        FilePath = filePath;
        FileOffset = fileOffset;
        Problem = problem;
    }

    /// <summary>The damaged file.</summary>
    public string? FilePath { get; }

    /// <summary>The byte offset in <see cref="FilePath"/> where the damage starts.</summary>
    public long FileOffset { get; }

    /// <summary>What is wrong, e.g. "a record fails its checksum".</summary>
    public string? Problem { get; }
}
