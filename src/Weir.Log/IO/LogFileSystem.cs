using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Weir.Log.IO;

/// <summary>
/// The narrow seam through which the log writes and syncs. The real one calls libc; tests wrap it to inject ENOSPC or
/// EIO at a chosen moment. Every method reports failure as a <see cref="LogIOException"/> carrying the errno.
/// </summary>
internal interface ILogFileSystem
{
    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/>, retrying short writes and EINTR.</summary>
    void Write(SafeFileHandle file, ReadOnlySpan<byte> data, long offset);

    /// <summary><c>fdatasync</c>: the file's data and the metadata needed to read it (its size) reach the disk.</summary>
    void SyncData(SafeFileHandle file);

    /// <summary><c>ftruncate</c>.</summary>
    void SetLength(SafeFileHandle file, long length);

    /// <summary><c>fsync</c> on a directory, so a created, renamed or deleted entry in it is durable.</summary>
    void SyncDirectory(string path);
}

/// <summary>The real file system, through libc.</summary>
internal sealed class PosixFileSystem : ILogFileSystem
{
    public static readonly PosixFileSystem Instance = new();

    private PosixFileSystem()
    {
    }

    public unsafe void Write(SafeFileHandle file, ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* start = data)
        {
            var written = 0;
            while (written < data.Length)
            {
                var n = NativeMethods.PWrite(file, start + written, (nuint)(data.Length - written), offset + written);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == NativeMethods.EINTR)
                    {
                        continue;
                    }

                    throw new LogIOException(errno, "pwrite");
                }

                if (n == 0)
                {
                    // A write that makes no progress without an error: treat as a full device rather than spin.
                    throw new LogIOException(NativeMethods.ENOSPC, "pwrite");
                }

                written += (int)n;
            }
        }
    }

    public void SyncData(SafeFileHandle file)
    {
        // fdatasync where it exists (Linux); fsync elsewhere. Never retried after a failure: see DurableLog.Flush.cs.
        var result = OperatingSystem.IsLinux() ? NativeMethods.FDataSync(file) : NativeMethods.FSync(file);
        if (result != 0)
        {
            throw new LogIOException(Marshal.GetLastPInvokeError(), "fdatasync");
        }
    }

    public void SetLength(SafeFileHandle file, long length)
    {
        int result;
        do
        {
            result = NativeMethods.FTruncate(file, length);
        }
        while (result != 0 && Marshal.GetLastPInvokeError() == NativeMethods.EINTR);

        if (result != 0)
        {
            throw new LogIOException(Marshal.GetLastPInvokeError(), "ftruncate");
        }
    }

    public void SyncDirectory(string path)
    {
        var flags = NativeMethods.O_RDONLY | (OperatingSystem.IsLinux() ? NativeMethods.O_DIRECTORY | NativeMethods.O_CLOEXEC : 0);
        using var directory = NativeMethods.OpenDirectory(path, flags);
        if (directory.IsInvalid)
        {
            throw new LogIOException(Marshal.GetLastPInvokeError(), "open(directory)", path);
        }

        if (NativeMethods.FSync(directory) != 0)
        {
            throw new LogIOException(Marshal.GetLastPInvokeError(), "fsync(directory)", path);
        }
    }
}
