using System.Text;
using Weir.DuckDb;

namespace Weir.Lake.Hot;

/// <summary>
/// The hot table: the rows the loader has taken from the log but not yet written to Parquet. It has the columns of
/// <c>events</c> in the contract's order, so the <c>events</c> view can union it with the Parquet files by position,
/// plus the record's log position, which tells the loader what a flush to Parquet may let the log forget.
/// </summary>
public static class HotTable
{
    public const string Name = "hot_events";

    /// <summary>
    /// The contract's columns, quoted and comma-separated, for the <c>events</c> view. Every name is quoted because
    /// several (<c>timestamp</c>, <c>type</c>, <c>source</c>, <c>query</c>, <c>name</c>, <c>event</c>) are keywords
    /// in some SQL dialects, and the view's text may be read by more than DuckDB.
    /// </summary>
    public static string SelectList { get; } = BuildSelectList();

    /// <summary>The DDL <see cref="Create"/> runs, kept public so tools and tests can show it.</summary>
    public static string CreateStatement { get; } = BuildCreateStatement();

    /// <summary>The number of columns: the contract's and <see cref="EventColumns.LogPosition"/>.</summary>
    public static int ColumnCount => EventColumns.All.Count + 1;

    /// <summary>Creates the table when it is missing; an existing table is left as it is.</summary>
    public static void Create(DuckDbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.Execute(CreateStatement);
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
        foreach (var column in EventColumns.All)
        {
            sql.Append(Sql.Identifier(column.Name)).Append(' ').Append(column.SqlType).Append(", ");
        }

        sql.Append(Sql.Identifier(EventColumns.LogPosition)).Append(" BIGINT NOT NULL)");
        return sql.ToString();
    }
}
