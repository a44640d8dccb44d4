namespace Weir.Demo;

/// <summary>What a demo import is doing; generator threads update it, a progress bar polls it.</summary>
public sealed class DemoProgress
{
    private long _generated;
    private int _stage;

    /// <summary>Distinct events generated so far, updated every few thousand.</summary>
    public long Generated => Volatile.Read(ref _generated);

    public DemoStage Stage => (DemoStage)Volatile.Read(ref _stage);

    internal void AddGenerated(long events) => Interlocked.Add(ref _generated, events);

    internal void Enter(DemoStage stage) => Volatile.Write(ref _stage, (int)stage);
}

public enum DemoStage
{
    Generating,
    Writing,
    Compacting,
    Done,
}
