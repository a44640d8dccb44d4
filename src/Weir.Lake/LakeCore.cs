using Microsoft.Extensions.Logging;
using Weir.DuckDb;
using Weir.Lake.Catalog;
using Weir.Lake.Query;

namespace Weir.Lake;

/// <summary>
/// What the lake's parts share: where it lives, its catalog, its DuckDB database, the clock and the logger, and the one
/// way to change the catalog (<see cref="Commit"/>), which also re-creates the <c>events</c> view.
/// </summary>
internal sealed class LakeCore(LakeOptions options, LakeLayout layout, CatalogStore catalog, DuckDbDatabase database, TimeProvider time, ILogger logger)
{
    private readonly Lock _publishGate = new();

    public LakeOptions Options { get; } = options;

    public LakeLayout Layout { get; } = layout;

    public CatalogStore Catalog { get; } = catalog;

    public DuckDbDatabase Database { get; } = database;

    public TimeProvider Time { get; } = time;

    public ILogger Logger { get; } = logger;

    /// <summary>Raised after each commit and its view are published, on the committing thread.</summary>
    public event Action<CatalogSnapshot>? Committed;

    /// <summary>
    /// Commits a catalog change and publishes the view for it, as one step for other committers: the view never goes
    /// back to an older generation because two commits raced.
    /// </summary>
    public CatalogSnapshot Commit(Func<CatalogSnapshot, CatalogSnapshot> change, DuckDbConnection connection)
    {
        lock (_publishGate)
        {
            var snapshot = Catalog.Commit(change);
            EventsView.Publish(connection, snapshot, Layout);
            Committed?.Invoke(snapshot);
            return snapshot;
        }
    }

    /// <summary>Publishes the view for the current catalog (at start, and after work that committed on its own).</summary>
    public void Publish(DuckDbConnection connection)
    {
        lock (_publishGate)
        {
            EventsView.Publish(connection, Catalog.Current, Layout);
            Committed?.Invoke(Catalog.Current);
        }
    }
}
