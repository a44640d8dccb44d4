using Weir.DuckDb;

namespace Weir.Query.Tests;

/// <summary>The lake as the query layer sees it, as the server adapts it.</summary>
internal sealed class LakeQuerySource(Lake.Lake lake) : IQuerySource
{
    public string EventsRelation => "\"events\"";

    public IReadOnlyList<string> DataDirectories => [lake.Layout.Root];

    public DuckDbConnection Connect() => lake.Connect();

    public IReadOnlyDictionary<DateOnly, string?>? PartitionVersions(string siteId) => lake.PartitionVersions(siteId);
}
