using System.Runtime.InteropServices;

namespace Weir.Log.IO;

/// <summary>
/// The few libc calls .NET does not expose: <c>pwrite</c> (to see the exact errno, ENOSPC above all), <c>fdatasync</c>,
/// <c>ftruncate</c>, and <c>open</c>/<c>fsync</c>/<c>close</c> on a directory (there is no managed way to fsync a
/// directory). Declared with source-generated <c>LibraryImport</c>; every call sets errno, read with
/// <see cref="Marshal.GetLastPInvokeError"/>.
/// </summary>
internal static partial class NativeMethods
{
    private const string LibC = "libc";

    internal const int EINTR = 4;
    internal const int EIO = 5;
    internal const int ENOSPC = 28;
    internal const int EDQUOT = 122;

    internal const int O_RDONLY = 0;
    internal const int O_DIRECTORY = 0x10000; // Linux's value; elsewhere the directory is opened with O_RDONLY alone.
    internal const int O_CLOEXEC = 0x80000;

    [LibraryImport(LibC, EntryPoint = "pwrite", SetLastError = true)]
    internal static unsafe partial nint PWrite(SafeHandle fd, byte* buffer, nuint count, long offset);

    [LibraryImport(LibC, EntryPoint = "fdatasync", SetLastError = true)]
    internal static partial int FDataSync(SafeHandle fd);

    [LibraryImport(LibC, EntryPoint = "fsync", SetLastError = true)]
    internal static partial int FSync(SafeHandle fd);

    [LibraryImport(LibC, EntryPoint = "ftruncate", SetLastError = true)]
    internal static partial int FTruncate(SafeHandle fd, long length);

    [LibraryImport(LibC, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DirectoryHandle OpenDirectory(string path, int flags);

    [LibraryImport(LibC, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(nint fd);
}
