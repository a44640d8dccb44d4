using Weir.DuckDb;
using Weir.Lake.Catalog;

namespace Weir.Lake.Maintenance;

/// <summary>
/// How a maintenance component commits a catalog change made while it works on <paramref name="connection"/>. The
/// default is <see cref="CatalogStore.Commit"/>; the lake passes its own, which also re-creates the <c>events</c> view
/// on that connection, so the view names the new files before this component deletes any old one.
/// </summary>
public delegate CatalogSnapshot CatalogCommit(Func<CatalogSnapshot, CatalogSnapshot> change, DuckDbConnection connection);
