using System.Text;
using Weir.DuckDb;
using Weir.Lake.Catalog;
using Weir.Lake.Hot;

namespace Weir.Lake.Query;

/// <summary>
/// The view <c>events</c> that every query reads: the catalog's current Parquet files and the hot table's rows at or
/// above the catalog's watermark. A record is in a file exactly when its log position is below the watermark, so the
/// two parts never hold the same record, whatever order a flush's steps run in.
/// </summary>
/// <remarks>
/// The view names its files one by one instead of globbing the folder: a query binds the definition once, so it reads
/// one catalog generation's files even while compaction swaps them (the old ones are deleted only after a grace
/// period). Files carry <c>site_id</c> and <c>event_date</c> in their Hive folder names only; hot rows compute the
/// date the same way the flush partitions them.
/// </remarks>
public static class EventsView
{
    public const string Name = "events";

    /// <summary>
    /// The UTC date of the client time, the lake's partition key, as SQL over the hot table. Computed from the epoch
    /// microseconds rather than through a time-zone conversion: it does not depend on the session's time zone, and it
    /// is many times cheaper per row than ICU's conversion, which a flush evaluates for every hot row.
    /// </summary>
    public const string EventDateExpression = "CAST(DATE '1970-01-01' + CAST(floor(epoch_us(\"timestamp\") / 86400000000.0) AS INTEGER) AS DATE)";

    /// <summary>The view's definition for <paramref name="snapshot"/>.</summary>
    public static string Definition(CatalogSnapshot snapshot, LakeLayout layout)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(layout);
        var sql = new StringBuilder("CREATE OR REPLACE VIEW ").Append(Sql.Identifier(Name)).Append(" AS ");
        if (snapshot.Files.Count > 0)
        {
            sql.Append("SELECT ").Append(HotTable.SelectList).Append(", ").Append(Sql.Identifier(EventColumns.EventDate))
                .Append(" FROM read_parquet([");
            for (var i = 0; i < snapshot.Files.Count; i++)
            {
                sql.Append(i == 0 ? "" : ", ").Append(Sql.Literal(layout.Absolute(snapshot.Files[i].Path)));
            }

            sql.Append("], hive_partitioning = true, hive_types = {'site_id': VARCHAR, 'event_date': DATE}) UNION ALL BY NAME ");
        }

        sql.Append("SELECT ").Append(HotTable.SelectList).Append(", ").Append(EventDateExpression).Append(" AS ")
            .Append(Sql.Identifier(EventColumns.EventDate)).Append(" FROM ").Append(Sql.Identifier(HotTable.RowsView))
            .Append(" WHERE ").Append(Sql.Identifier(EventColumns.LogPosition)).Append(" >= ").Append(snapshot.Watermark);
        return sql.ToString();
    }

    /// <summary>Creates or replaces the view for <paramref name="snapshot"/>.</summary>
    public static void Publish(DuckDbConnection connection, CatalogSnapshot snapshot, LakeLayout layout)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.Execute(Definition(snapshot, layout));
    }
}
