namespace Weir.Log.IO;

/// <summary>A failed system call of the log's file I/O, with its errno.</summary>
internal sealed class LogIOException : IOException
{
    public LogIOException(int errno, string operation, string? path = null)
        : base(path is null ? $"{operation} failed: errno {errno}" : $"{operation} '{path}' failed: errno {errno}", errno)
    {
        Errno = errno;
    }

    public int Errno { get; }

    /// <summary>
    /// Whether an I/O failure means "no space" (ENOSPC, or EDQUOT for a quota), whether it came from this seam or from a
    /// .NET file API (which reports the errno as the HResult on Unix).
    /// </summary>
    public static bool IsNoSpace(Exception exception) => exception switch
    {
        LogIOException io => io.Errno is NativeMethods.ENOSPC or NativeMethods.EDQUOT,
        IOException io => io.HResult is NativeMethods.ENOSPC or NativeMethods.EDQUOT,
        _ => false,
    };
}
