namespace Weir.Tests;

/// <summary>Tests that measure the whole process's memory run alone, after the others in their project.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurementCollection
{
    public const string Name = "Memory measurements";
}
