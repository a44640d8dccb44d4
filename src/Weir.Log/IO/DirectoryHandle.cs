using System.Runtime.InteropServices;

namespace Weir.Log.IO;

/// <summary>A directory opened read-only with <c>open(2)</c>, only to <c>fsync</c> it; closed exactly once.</summary>
internal sealed class DirectoryHandle : SafeHandle
{
    public DirectoryHandle() : base(invalidHandleValue: -1, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle < 0;

    protected override bool ReleaseHandle() => NativeMethods.Close(handle) == 0;
}
