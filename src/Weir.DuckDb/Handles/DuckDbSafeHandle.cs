using System.Runtime.InteropServices;

namespace Weir.DuckDb.Handles;

/// <summary>
/// Base of every handle to a DuckDB object. A handle may keep its parent alive (a connection its database,
/// a statement its connection), so native objects are always released child first, each exactly once.
/// </summary>
internal abstract class DuckDbSafeHandle : SafeHandle
{
    private SafeHandle? _parent;

    protected DuckDbSafeHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    protected DuckDbSafeHandle(bool ownsHandle) : base(IntPtr.Zero, ownsHandle)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Holds a reference on <paramref name="parent"/> until this handle is released.</summary>
    internal void KeepAlive(SafeHandle parent)
    {
        var added = false;
        parent.DangerousAddRef(ref added);
        _parent = parent;
    }

    protected sealed override bool ReleaseHandle()
    {
        Free(handle);
        handle = IntPtr.Zero;
        _parent?.DangerousRelease();
        _parent = null;
        return true;
    }

    protected abstract void Free(IntPtr pointer);
}
