namespace Weir.Demo.Tests;

public sealed class LakeImportTests
{
    [Fact]
    public async Task Imported_rows_are_visible_through_the_view_of_a_reopened_lake()
    {
        await using var demo = await DemoLake.CreateAsync();

        await demo.ReopenAsync();

        Assert.Equal(20_000, demo.Long("SELECT count(*) FROM events"));
        Assert.Equal(0, demo.Lake.Catalog.Watermark);
        Assert.Equal(demo.Lake.Catalog.Files.Sum(file => file.Rows), demo.Long("SELECT count(*) FROM events"));
        Assert.All(demo.Lake.Catalog.Files, file =>
        {
            Assert.Equal(demo.SiteId, file.SiteId);
            Assert.Contains($"site_id={demo.SiteId}", file.Path, StringComparison.Ordinal);
            Assert.Contains($"event_date={file.EventDate:yyyy-MM-dd}", file.Path, StringComparison.Ordinal);
            Assert.Equal(file.LogStart, file.LogEnd);
        });
    }

    [Fact]
    public async Task Import_drops_the_staging_table_and_refuses_rows_without_a_site()
    {
        using var directory = new TempDirectory();
        await using var lake = DemoLake.OpenLake(directory.Path);
        lake.CreateImportTable("staging");
        using (var connection = lake.Connect())
        {
            connection.Execute("INSERT INTO staging (message_id, \"timestamp\") VALUES ('m1', TIMESTAMPTZ '2026-11-01 10:00:00+00')");
        }

        var error = await Assert.ThrowsAsync<ArgumentException>(() => lake.ImportAsync("staging"));
        Assert.Contains("site_id", error.Message, StringComparison.Ordinal);
        Assert.Empty(lake.Catalog.Files);

        using (var connection = lake.Connect())
        {
            connection.Execute("UPDATE staging SET site_id = 's1'");
        }

        var result = await lake.ImportAsync("staging");

        Assert.Equal(1, result.Rows);
        Assert.Equal(1, DemoLake.Long(lake, "SELECT count(*) FROM events WHERE site_id = 's1' AND event_date = DATE '2026-11-01'"));
        Assert.Equal(0, DemoLake.Long(lake, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'staging'"));
    }
}
