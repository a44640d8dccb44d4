namespace Weir.Demo;

/// <summary>What a demo import is doing; generator threads and the import update it, a progress bar polls it.</summary>
public sealed class DemoProgress
{
    private long _generated;
    private long _written;
    private int _stage;

    /// <summary>Distinct events generated into staging tables so far, updated every few thousand.</summary>
    public long Generated => Volatile.Read(ref _generated);

    /// <summary>Events written to Parquet so far, updated once a range of days is committed.</summary>
    public long Written => Volatile.Read(ref _written);

    public DemoStage Stage => (DemoStage)Volatile.Read(ref _stage);

    internal void AddGenerated(long events) => Interlocked.Add(ref _generated, events);

    internal void AddWritten(long events) => Interlocked.Add(ref _written, events);

    internal void Enter(DemoStage stage) => Volatile.Write(ref _stage, (int)stage);
}

public enum DemoStage
{
    /// <summary>The generators' dry run, which decides what each range of days holds.</summary>
    Planning,

    /// <summary>Generating and writing, a range of days at a time.</summary>
    Generating,

    /// <summary>Writing the recently arrived late events and merging them in.</summary>
    Compacting,
    Done,
}
