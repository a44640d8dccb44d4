using Weir.Lake.Catalog;

namespace Weir.Lake.Tests.Catalog;

public sealed class CatalogSnapshotTests
{
    private static readonly DateOnly Monday = new(2025, 3, 3);
    private static readonly DateOnly Tuesday = new(2025, 3, 4);

    [Fact]
    public void Partitions_group_the_files_by_site_and_date_and_sum_them()
    {
        var snapshot = CatalogSnapshot.Empty with
        {
            Files =
            [
                CatalogAssert.File("b", Monday, "1", rows: 5, minHour: 3, maxHour: 4),
                CatalogAssert.File("a", Tuesday, "2", rows: 7),
                CatalogAssert.File("b", Monday, "3", rows: 11, minHour: 1, maxHour: 2),
                CatalogAssert.File("a", Monday, "4", rows: 1),
            ],
        };

        var partitions = snapshot.Partitions;

        Assert.Equal([("a", Monday), ("a", Tuesday), ("b", Monday)], partitions.Select(p => (p.SiteId, p.EventDate)));
        var b = partitions[2];
        Assert.Equal(2, b.FileCount);
        Assert.Equal(16, b.Rows);
        Assert.Equal(1600, b.Bytes);
        Assert.Equal(new DateTimeOffset(Monday, new TimeOnly(1, 0), TimeSpan.Zero), b.MinTimestamp);
        Assert.Equal(new DateTimeOffset(Monday, new TimeOnly(4, 0), TimeSpan.Zero), b.MaxTimestamp);
        Assert.Equal(1, partitions[0].FileCount);
    }

    [Fact]
    public void FilesOf_returns_one_partition_in_file_order_and_nothing_for_an_unknown_one()
    {
        var snapshot = CatalogSnapshot.Empty with
        {
            Files = [CatalogAssert.File("b", Monday, "1"), CatalogAssert.File("a", Monday, "2"), CatalogAssert.File("b", Monday, "3")],
        };

        Assert.Equal(["1", "3"], snapshot.FilesOf("b", Monday).Select(f => Path.GetFileNameWithoutExtension(f.Path)));
        Assert.Empty(snapshot.FilesOf("b", Tuesday));
        Assert.Empty(snapshot.FilesOf("c", Monday));
    }

    [Fact]
    public void A_snapshot_made_with_other_files_gets_its_own_partitions()
    {
        var before = CatalogSnapshot.Empty with { Files = [CatalogAssert.File("a", Monday, "1")] };
        _ = before.Partitions;

        var after = before with { Files = [.. before.Files, CatalogAssert.File("a", Tuesday, "2")] };
        var sameFiles = before with { Watermark = 9 };

        Assert.Equal(2, after.Partitions.Count);
        Assert.Single(before.Partitions);
        Assert.Single(sameFiles.Partitions);
        Assert.Single(after.FilesOf("a", Tuesday));
    }

    [Fact]
    public void A_snapshot_does_not_change_when_the_list_it_was_made_from_does()
    {
        var files = new List<CatalogFile> { CatalogAssert.File("a", Monday, "1") };
        var sites = new Dictionary<string, SiteSchema> { ["a"] = SiteSchema.Empty };

        var snapshot = CatalogSnapshot.Empty with { Files = files, Sites = sites };
        files.Add(CatalogAssert.File("a", Monday, "2"));
        sites["b"] = SiteSchema.Empty;

        Assert.Single(snapshot.Files);
        Assert.Single(snapshot.Sites);
        Assert.Single(snapshot.Partitions);
    }
}
