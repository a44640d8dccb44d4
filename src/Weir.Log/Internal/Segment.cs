namespace Weir.Log.Internal;

/// <summary>One segment file as the log tracks it. Immutable except for <see cref="SealedEnd"/>, set once when it is closed.</summary>
internal sealed class Segment(string path, long basePosition, long previousEnd)
{
    private long _sealedEnd = long.MaxValue;

    public string Path { get; } = path;

    /// <summary>The position of the first frame.</summary>
    public long BasePosition { get; } = basePosition;

    /// <summary>Where the previous segment ended.</summary>
    public long PreviousEnd { get; } = previousEnd;

    /// <summary>The position after the last frame once the segment is closed; <see cref="long.MaxValue"/> while it is active.</summary>
    public long SealedEnd
    {
        get => Volatile.Read(ref _sealedEnd);
        set => Volatile.Write(ref _sealedEnd, value);
    }

    public bool IsSealed => SealedEnd != long.MaxValue;

    /// <summary>The offset in the file of <paramref name="position"/>.</summary>
    public long FileOffset(long position) => Format.SegmentFormat.HeaderLength + (position - BasePosition);
}
