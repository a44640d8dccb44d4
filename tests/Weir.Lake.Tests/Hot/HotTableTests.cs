using Weir.DuckDb;
using Weir.Lake.Hot;

namespace Weir.Lake.Tests.Hot;

public sealed class HotTableTests : IDisposable
{
    private readonly HotFixture _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void Hot_rows_have_every_contract_column_in_order_then_log_position()
    {
        var columns = ColumnsOf(HotTable.RowsView);
        // JSON is a VARCHAR with an alias, which a view's column shows as the plain type.
        var expected = EventColumns.All.Select(c => (c.Name, c.SqlType switch { "TIMESTAMPTZ" => "TIMESTAMP WITH TIME ZONE", "JSON" => "JSON", _ => c.SqlType }))
            .Append((EventColumns.LogPosition, "BIGINT"))
            .ToList();
        Assert.Equal(expected, columns.Select(c => (c.Name, c.Type)).ToList());
    }

    [Fact]
    public void The_table_stores_the_enrichment_as_dimension_ids_and_a_visitor_hash_in_one_struct()
    {
        var columns = ColumnsOf(HotTable.Name);
        Assert.Equal(HotTable.ColumnCount, columns.Count);
        Assert.Equal((EventColumns.LogPosition, "BIGINT", "NO"), columns[^1]);
        Assert.Contains(("enrichment", "STRUCT(agent_id INTEGER, origin_id INTEGER, place_id INTEGER, visitor_hash BIGINT)", "YES"), columns);
        Assert.DoesNotContain(columns, c => c.Name is "agent_id" or "origin_id" or "place_id" or "visitor_hash");
        string[] derived = ["visitor_id", "browser", "browser_version", "os", "os_version", "device_type", "is_bot", "referrer_host", "source", "country", "region", "city"];
        Assert.DoesNotContain(columns, c => derived.Contains(c.Name));
    }

    private List<(string Name, string Type, string Nullable)> ColumnsOf(string table)
    {
        using var result = _db.Connection.Query(
            $"SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = '{table}' ORDER BY ordinal_position");
        var columns = new List<(string Name, string Type, string Nullable)>();
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                for (var r = 0; r < chunk.RowCount; r++)
                {
                    columns.Add((chunk.GetVector(0).GetString(r), chunk.GetVector(1).GetString(r), chunk.GetVector(2).GetString(r)));
                }
            }
        }

        return columns;
    }

    [Fact]
    public void Creating_the_table_again_keeps_its_rows()
    {
        Assert.Null(_db.Load(HotFixture.Record(Events.Minimal()), 1));
        _db.Appender.Flush();
        HotTable.Create(_db.Connection);
        Assert.Equal(1L, _db.Count());
    }

    [Fact]
    public void Select_list_quotes_every_contract_column_and_selects_them_in_order()
    {
        Assert.Equal(string.Join(", ", EventColumns.All.Select(c => "\"" + c.Name + "\"")), HotTable.SelectList);
        using var result = _db.Connection.Query($"SELECT {HotTable.SelectList} FROM {HotTable.RowsView}");
        Assert.Equal(EventColumns.All.Select(c => c.Name), result.ColumnNames);
    }

    [Fact]
    public void Quote_doubles_embedded_quotes()
    {
        Assert.Equal("\"a\"\"b\"", Sql.Identifier("a\"b"));
        Assert.Equal("\"timestamp\"", Sql.Identifier("timestamp"));
    }

    [Fact]
    public void The_ip_and_the_user_agent_have_no_column()
    {
        Assert.DoesNotContain("\"ip\"", HotTable.CreateStatement, StringComparison.Ordinal);
        Assert.DoesNotContain("user_agent", HotTable.CreateStatement, StringComparison.Ordinal);
        Assert.Equal(0L, _db.Scalar($"SELECT count(*) FROM information_schema.columns WHERE table_name = '{HotTable.Name}' AND column_name IN ('ip', 'user_agent')"));
    }
}
