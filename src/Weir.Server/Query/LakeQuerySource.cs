using Weir.DuckDb;
using Weir.Query;

namespace Weir.Server.Query;

/// <summary>The lake as the query layer sees it: its <c>events</c> view on connections to its database.</summary>
public sealed class LakeQuerySource(Lake.Lake lake) : IQuerySource
{
    public string EventsRelation => "\"" + Weir.Lake.Query.EventsView.Name + "\"";

    public IReadOnlyList<string> DataDirectories { get; } = [lake.Layout.Root];

    public DuckDbConnection Connect() => lake.Connect();

    public IReadOnlyDictionary<DateOnly, string?>? PartitionVersions(string siteId) => lake.PartitionVersions(siteId);
}
