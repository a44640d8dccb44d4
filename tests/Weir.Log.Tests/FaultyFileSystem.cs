using Microsoft.Win32.SafeHandles;
using Weir.Log.IO;

namespace Weir.Log.Tests;

/// <summary>
/// The real file system with faults switched on and off by the test: a write that fails with an errno (after writing half
/// its data, as a real ENOSPC mid-write does), an fsync that fails, and a gate that holds the flusher inside fdatasync.
/// </summary>
internal sealed class FaultyFileSystem : ILogFileSystem
{
    private readonly ILogFileSystem _inner = PosixFileSystem.Instance;
    private int _syncCalls;

    /// <summary>When not 0, writes fail with this errno after writing the first half of their data.</summary>
    public int WriteErrno { get; set; }

    /// <summary>When not 0, data syncs fail with this errno.</summary>
    public int SyncErrno { get; set; }

    /// <summary>When set, a data sync waits for it after signalling <see cref="SyncEntered"/>.</summary>
    public ManualResetEventSlim? SyncGate { get; set; }

    public ManualResetEventSlim SyncEntered { get; } = new();

    public int SyncCalls => Volatile.Read(ref _syncCalls);

    public void Write(SafeFileHandle file, ReadOnlySpan<byte> data, long offset)
    {
        var errno = WriteErrno;
        if (errno != 0)
        {
            _inner.Write(file, data[..(data.Length / 2)], offset);
            throw new LogIOException(errno, "pwrite (injected)");
        }

        _inner.Write(file, data, offset);
    }

    public void SyncData(SafeFileHandle file)
    {
        Interlocked.Increment(ref _syncCalls);
        if (SyncGate is { } gate)
        {
            SyncEntered.Set();
            gate.Wait();
        }

        if (SyncErrno != 0)
        {
            throw new LogIOException(SyncErrno, "fdatasync (injected)");
        }

        _inner.SyncData(file);
    }

    public void SetLength(SafeFileHandle file, long length) => _inner.SetLength(file, length);

    public void SyncDirectory(string path) => _inner.SyncDirectory(path);
}
