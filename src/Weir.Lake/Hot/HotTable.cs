using System.Text;
using Weir.DuckDb;

namespace Weir.Lake.Hot;

/// <summary>
/// The hot table: the rows the loader has taken from the log but not yet written to Parquet, with the record's log
/// position, which tells the loader what a flush to Parquet may let the log forget. The enrichment's user-agent, origin
/// and place columns are stored as ids into <see cref="HotDimensions"/>' tables and the visitor id as its 64-bit
/// hash; the view <see cref="RowsView"/> turns them back into the columns of <c>events</c>, in the contract's order,
/// and is what every reader (the <c>events</c> view, the flush) reads.
/// </summary>
public static class HotTable
{
    public const string Name = "hot_events";

    /// <summary>The hot rows with the columns of <c>events</c> in the contract's order, then the log position.</summary>
    public const string RowsView = "hot_rows";

    /// <summary>
    /// The hot table's column of the enrichment: a STRUCT of the three dimension ids (<see cref="HotDimensions.IdColumns"/>)
    /// and <see cref="VisitorHash"/>, NULL for a row the loader did not enrich.
    /// </summary>
    /// <remarks>
    /// One STRUCT rather than four columns because DuckDB keeps a distinct-value sketch (HyperLogLog) of every plain
    /// column it appends to, which for four integers per row was about a tenth of what the enrichment cost the loader;
    /// it keeps none for a STRUCT. Nothing reads these ids but the <see cref="RowsView"/>'s joins.
    /// </remarks>
    public const string Enrichment = "enrichment";

    /// <summary>The enrichment's field for the visitor id: the hash as a BIGINT, shown as 16 hex digits.</summary>
    public const string VisitorHash = "visitor_hash";

    /// <summary>The type of <see cref="Enrichment"/>, as DDL spells it.</summary>
    public static string EnrichmentSqlType { get; } =
        "STRUCT(" + string.Join(", ", HotDimensions.IdColumns.Select(id => Sql.Identifier(id) + " INTEGER")) + ", " + Sql.Identifier(VisitorHash) + " BIGINT)";

    internal const string VisitorId = "visitor_id";

    /// <summary>The hot table's columns in order, without the log position (always last).</summary>
    internal static IReadOnlyList<EventColumn> StoredColumns { get; } = BuildStoredColumns();

    /// <summary>The definition of <see cref="RowsView"/>.</summary>
    public static string RowsViewStatement { get; } = BuildRowsView();

    /// <summary>
    /// The contract's columns, quoted and comma-separated, for the <c>events</c> view. Every name is quoted because
    /// several (<c>timestamp</c>, <c>type</c>, <c>source</c>, <c>query</c>, <c>name</c>, <c>event</c>) are keywords
    /// in some SQL dialects, and the view's text may be read by more than DuckDB.
    /// </summary>
    public static string SelectList { get; } = BuildSelectList();

    /// <summary>The DDL <see cref="Create"/> runs, kept public so tools and tests can show it.</summary>
    public static string CreateStatement { get; } = BuildCreateStatement();

    /// <summary>The number of columns of the table: the stored ones and <see cref="EventColumns.LogPosition"/>.</summary>
    public static int ColumnCount => StoredColumns.Count + 1;

    /// <summary>
    /// Creates the table, the dimension tables and the view when they are missing; an existing table is left as it is.
    /// </summary>
    public static void Create(DuckDbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.Execute(HotDimensions.CreateStatement + CreateStatement + "; " + RowsViewStatement);
    }

    /// <summary>Whether a contract column is stored through a dimension or as the visitor hash, not by name.</summary>
    internal static bool IsDerived(string name)
    {
        if (name == VisitorId)
        {
            return true;
        }

        foreach (var columns in HotDimensions.TextColumns)
        {
            if (Array.IndexOf(columns, name) >= 0)
            {
                return true;
            }
        }

        return name == HotDimensions.IsBotColumn;
    }

    private static List<EventColumn> BuildStoredColumns()
    {
        var stored = new List<EventColumn>();
        foreach (var column in EventColumns.All)
        {
            if (!IsDerived(column.Name))
            {
                stored.Add(column);
            }
        }

        stored.Add(new EventColumn(Enrichment, ColumnType.HotEnrichment));
        return stored;
    }

    private static string BuildRowsView()
    {
        var sql = new StringBuilder("CREATE OR REPLACE VIEW ").Append(Sql.Identifier(RowsView)).Append(" AS SELECT ");
        foreach (var column in EventColumns.All)
        {
            var name = Sql.Identifier(column.Name);
            if (column.Name == VisitorId)
            {
                // Sixteen hex digits of the unsigned hash, as the Parquet files store it.
                var hash = EnrichmentField(VisitorHash);
                sql.Append("CASE WHEN ").Append(hash).Append(" IS NULL THEN NULL ELSE lpad(lower(hex(").Append(hash)
                    .Append(")), 16, '0') END AS ").Append(name);
            }
            else if (DimensionOf(column.Name) is { } d)
            {
                sql.Append('d').Append(d).Append('.').Append(name).Append(" AS ").Append(name);
            }
            else
            {
                sql.Append("h.").Append(name);
            }

            sql.Append(", ");
        }

        sql.Append("h.").Append(Sql.Identifier(EventColumns.LogPosition)).Append(" FROM ").Append(Sql.Identifier(Name)).Append(" h");
        for (var d = 0; d < HotDimensions.TableNames.Length; d++)
        {
            var id = Sql.Identifier(HotDimensions.IdColumns[d]);
            sql.Append(" LEFT JOIN ").Append(Sql.Identifier(HotDimensions.TableNames[d])).Append(" d").Append(d)
                .Append(" ON d").Append(d).Append('.').Append(id).Append(" = ").Append(EnrichmentField(HotDimensions.IdColumns[d]));
        }

        return sql.ToString();
    }

    private static string EnrichmentField(string field) => "h." + Sql.Identifier(Enrichment) + "." + Sql.Identifier(field);

    private static int? DimensionOf(string name)
    {
        for (var d = 0; d < HotDimensions.TextColumns.Length; d++)
        {
            if (Array.IndexOf(HotDimensions.TextColumns[d], name) >= 0)
            {
                return d;
            }
        }

        return name == HotDimensions.IsBotColumn ? (int)HotDimension.Agent : null;
    }

    /// <summary>An appender on the hot table, the one <see cref="HotRowWriter"/> expects.</summary>
    public static DuckDbAppender CreateAppender(DuckDbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.CreateAppender(Name);
    }

    private static string BuildSelectList()
    {
        var sql = new StringBuilder();
        foreach (var column in EventColumns.All)
        {
            if (sql.Length > 0)
            {
                sql.Append(", ");
            }

            sql.Append(Sql.Identifier(column.Name));
        }

        return sql.ToString();
    }

    private static string BuildCreateStatement()
    {
        var sql = new StringBuilder("CREATE TABLE IF NOT EXISTS ").Append(Sql.Identifier(Name)).Append(" (");
        foreach (var column in StoredColumns)
        {
            sql.Append(Sql.Identifier(column.Name)).Append(' ').Append(column.SqlType).Append(", ");
        }

        sql.Append(Sql.Identifier(EventColumns.LogPosition)).Append(" BIGINT NOT NULL)");
        return sql.ToString();
    }
}
