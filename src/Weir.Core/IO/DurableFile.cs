using System.Runtime.InteropServices;

namespace Weir.Core.IO;

/// <summary>
/// Small files that must survive a crash whole or not at all (the site registry, the admin token): written to a
/// temporary file, flushed to disk, renamed over the old one, and the directory flushed so the rename itself is durable.
/// </summary>
public static partial class DurableFile
{
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> contents, UnixFileMode? mode = null)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (mode is { } m && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = m;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(contents);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        SyncDirectory(directory);
    }

    /// <summary>Flushes a file written by someone else (DuckDB's COPY, say) to disk.</summary>
    public static void SyncFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Flushes <paramref name="directory"/> and each folder above it up to and including <paramref name="upTo"/>: the
    /// entries of a file renamed into the first, and of folders just created below the last, survive a crash.
    /// </summary>
    public static void SyncDirectories(string directory, string upTo)
    {
        var stop = Path.GetFullPath(upTo).TrimEnd(Path.DirectorySeparatorChar);
        for (var current = Path.GetFullPath(directory); ; current = Path.GetDirectoryName(current)!)
        {
            SyncDirectory(current);
            if (current.Length <= stop.Length)
            {
                break;
            }
        }
    }

    /// <summary>fsync on a directory, which .NET has no API for: makes file creations and renames in it durable.</summary>
    public static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return; // NTFS journals metadata; there is no directory handle to flush.
        }

        var fd = open(directory, OpenReadOnly | OpenDirectory);
        if (fd < 0)
        {
            throw new IOException($"Could not open directory '{directory}' to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory '{directory}' failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    private const int OpenReadOnly = 0;

    // O_DIRECTORY differs between Linux (0x10000) and macOS (0x100000).
    private static int OpenDirectory => OperatingSystem.IsMacOS() ? 0x100000 : 0x10000;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
