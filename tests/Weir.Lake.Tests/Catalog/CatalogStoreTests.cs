using System.Text;
using System.Text.Json;
using Weir.Lake.Catalog;

namespace Weir.Lake.Tests.Catalog;

public sealed class CatalogStoreTests : IDisposable
{
    private static readonly DateOnly Day = new(2025, 3, 4);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string CatalogPath => _temp.Combine(CatalogStore.FileName);

    [Fact]
    public void A_lake_without_a_catalog_opens_empty_at_generation_0()
    {
        var store = CatalogStore.Open(_temp.Path);

        Assert.Equal(0, store.Current.Generation);
        Assert.Equal(0, store.Current.Watermark);
        Assert.Empty(store.Current.Files);
        Assert.Empty(store.Current.Sites);
        Assert.False(File.Exists(CatalogPath));
    }

    [Fact]
    public void A_full_snapshot_survives_a_round_trip_through_the_file()
    {
        var store = CatalogStore.Open(_temp.Path);
        var accumulator = new SchemaAccumulator();
        var at = new DateTimeOffset(2025, 3, 4, 10, 0, 0, TimeSpan.Zero);
        accumulator.Observe("site_a", "Order Completed"u8, """{"total":12.5,"currency":"EUR","items":[1],"cart":{"id":1},"coupon":null,"gift":true}"""u8, at);
        accumulator.Observe("site_a", "Order Completed"u8, """{"total":"12.50"}"""u8, at.AddHours(3));
        accumulator.Observe("site-b", "Signed Up"u8, ReadOnlySpan<byte>.Empty, at);

        var committed = store.Commit(s => accumulator.MergeInto(s) with
        {
            Watermark = 42,
            Files = [CatalogAssert.File("site_a", Day, "part-0001", logStart: 0, logEnd: 30), CatalogAssert.File("site-b", Day, "part-0002", logStart: 30, logEnd: 42)],
            PendingDeletes = [new PendingDelete { Path = "events/site_id=site_a/event_date=2025-03-04/old.parquet", DeleteAfter = at.AddMinutes(10) }],
        });

        var reopened = CatalogStore.Open(_temp.Path).Current;

        CatalogAssert.Equivalent(committed, reopened);
        Assert.Equal(2, reopened.Sites["site_a"].Properties["total"].Types.Count);
        Assert.Equal(2, reopened.Sites["site_a"].Events["Order Completed"].Count);
    }

    [Fact]
    public void The_file_has_a_format_number_and_camel_case_names()
    {
        var store = CatalogStore.Open(_temp.Path);
        store.Commit(s => s with { Watermark = 7, Files = [CatalogAssert.File("s1", Day, "a")] });

        using var json = JsonDocument.Parse(File.ReadAllBytes(CatalogPath));
        var root = json.RootElement;

        Assert.Equal(1, root.GetProperty("format").GetInt32());
        Assert.Equal(1, root.GetProperty("generation").GetInt64());
        Assert.Equal(7, root.GetProperty("watermark").GetInt64());
        Assert.Equal("events/site_id=s1/event_date=2025-03-04/a.parquet", root.GetProperty("files")[0].GetProperty("path").GetString());
        Assert.Equal("2025-03-04", root.GetProperty("files")[0].GetProperty("eventDate").GetString());
        Assert.Equal(JsonValueKind.Array, root.GetProperty("pendingDeletes").ValueKind);
    }

    [Fact]
    public void Every_commit_takes_the_next_generation_whatever_the_change_says()
    {
        var store = CatalogStore.Open(_temp.Path);

        var first = store.Commit(s => s with { Watermark = 1 });
        var second = store.Commit(s => s with { Watermark = 2, Generation = 100 });

        Assert.Equal(1, first.Generation);
        Assert.Equal(2, second.Generation);
        Assert.Same(second, store.Current);
        Assert.Equal(2, CatalogStore.Open(_temp.Path).Current.Generation);
    }

    [Fact]
    public void Concurrent_commits_are_serialized_and_none_is_lost()
    {
        var store = CatalogStore.Open(_temp.Path);

        Parallel.For(0, 40, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ => store.Commit(s => s with { Watermark = s.Watermark + 1 }));

        Assert.Equal(40, store.Current.Generation);
        Assert.Equal(40, store.Current.Watermark);
        Assert.Equal(40, CatalogStore.Open(_temp.Path).Current.Watermark);
    }

    [Fact]
    public void A_failed_write_leaves_the_current_snapshot_and_the_file_as_they_were()
    {
        var store = CatalogStore.Open(_temp.Path);
        var before = store.Commit(s => s with { Watermark = 5 });
        var fileBefore = File.ReadAllBytes(CatalogPath);
        Directory.CreateDirectory(CatalogPath + ".tmp"); // the temporary file cannot be created: a directory is in its place

        var error = Record.Exception(() => store.Commit(s => s with { Watermark = 9, Files = [CatalogAssert.File("s1", Day, "a")] }));

        Assert.True(error is IOException or UnauthorizedAccessException, $"unexpected {error}");
        Assert.Same(before, store.Current);
        Assert.Equal(fileBefore, File.ReadAllBytes(CatalogPath));

        Directory.Delete(CatalogPath + ".tmp");
        var after = store.Commit(s => s with { Watermark = 9 });
        Assert.Equal(2, after.Generation);
    }

    [Fact]
    public void A_change_that_throws_changes_nothing()
    {
        var store = CatalogStore.Open(_temp.Path);
        var before = store.Commit(s => s with { Watermark = 5 });

        Assert.Throws<FormatException>(() => store.Commit(_ => throw new FormatException("boom")));

        Assert.Same(before, store.Current);
        Assert.Equal(1, CatalogStore.Open(_temp.Path).Current.Generation);
    }

    [Fact]
    public void A_change_that_breaks_the_rules_is_refused_before_it_is_written()
    {
        var store = CatalogStore.Open(_temp.Path);
        var before = store.Commit(s => s with { Watermark = 5 });
        var file = CatalogAssert.File("s1", Day, "a");

        var duplicate = Assert.Throws<InvalidOperationException>(() => store.Commit(s => s with { Files = [file, file] }));
        var backwards = Assert.Throws<InvalidOperationException>(() => store.Commit(s => s with { Watermark = 4 }));
        var absolute = Assert.Throws<InvalidOperationException>(() => store.Commit(s => s with { Files = [file with { Path = "/tmp/a.parquet" }] }));
        var badRange = Assert.Throws<InvalidOperationException>(() => store.Commit(s => s with { Files = [file with { LogStart = 9, LogEnd = 3 }] }));

        Assert.Contains("listed twice", duplicate.Message, StringComparison.Ordinal);
        Assert.Contains("watermark would move back", backwards.Message, StringComparison.Ordinal);
        Assert.Contains("'/tmp/a.parquet'", absolute.Message, StringComparison.Ordinal);
        Assert.Contains("[9, 3)", badRange.Message, StringComparison.Ordinal);
        Assert.Same(before, store.Current);
        Assert.Equal(1, CatalogStore.Open(_temp.Path).Current.Generation);
    }

    [Fact]
    public void The_first_commit_creates_a_missing_lake_folder()
    {
        var lake = _temp.Combine("data", "lake");

        CatalogStore.Open(lake).Commit(s => s with { Watermark = 3 });

        Assert.Equal(3, CatalogStore.Open(lake).Current.Watermark);
    }

    [Theory]
    [InlineData("", "not valid catalog JSON")]
    [InlineData("{\"format\":1,\"generation\":3,", "not valid catalog JSON")]
    [InlineData("[1,2]", "not valid catalog JSON")]
    [InlineData("{\"generation\":3}", "no \"format\" field")]
    [InlineData("{\"format\":0}", "format 0, which does not exist")]
    [InlineData("{\"format\":1,\"generation\":3}", "does not match catalog format 1")]
    [InlineData("{\"format\":1,\"generation\":1,\"watermark\":0,\"files\":null,\"pendingDeletes\":[],\"sites\":{}}", "does not match catalog format 1")]
    [InlineData("{\"format\":1,\"generation\":1,\"watermark\":0,\"files\":[null],\"pendingDeletes\":[],\"sites\":{}}", "files[0]: the entry is null")]
    [InlineData("{\"format\":1,\"generation\":1,\"watermark\":0,\"files\":[],\"pendingDeletes\":[],\"sites\":{\"a/b\":{}}}", "'a/b' is not a site id")]
    [InlineData("{\"format\":1,\"generation\":1,\"watermark\":0,\"files\":[],\"pendingDeletes\":[],\"sites\":{\"s1\":null}}", "the entry is null")]
    [InlineData("{\"format\":1,\"generation\":-1,\"watermark\":0,\"files\":[],\"pendingDeletes\":[],\"sites\":{}}", "cannot be negative")]
    public void A_corrupt_catalog_is_refused_with_a_message_naming_the_file_and_the_problem(string contents, string problem)
    {
        File.WriteAllText(CatalogPath, contents);

        var error = Assert.Throws<InvalidDataException>(() => CatalogStore.Open(_temp.Path));

        Assert.Contains(CatalogPath, error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_site_whose_maps_are_left_out_loads_with_empty_maps()
    {
        File.WriteAllText(CatalogPath, """{"format":1,"generation":4,"watermark":9,"files":[],"pendingDeletes":[],"sites":{"s1":{"overflowKeys":3}}}""");

        var site = CatalogStore.Open(_temp.Path).Current.Sites["s1"];

        Assert.Empty(site.Events);
        Assert.Empty(site.Properties);
        Assert.Equal(3, site.OverflowKeys);
    }

    [Fact]
    public void A_catalog_of_a_future_format_is_refused_rather_than_misread()
    {
        File.WriteAllText(CatalogPath, """{"format":2,"tables":{"events":{}}}""");

        var error = Assert.Throws<InvalidDataException>(() => CatalogStore.Open(_temp.Path));

        Assert.Contains(CatalogPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("catalog format 2, written by a newer version of Weir", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_copy_of_a_real_catalog_is_refused()
    {
        CatalogStore.Open(_temp.Path).Commit(s => s with { Files = [CatalogAssert.File("s1", Day, "a")] });
        var bytes = File.ReadAllBytes(CatalogPath);
        File.WriteAllBytes(CatalogPath, bytes.AsSpan(0, bytes.Length / 2).ToArray());

        var error = Assert.Throws<InvalidDataException>(() => CatalogStore.Open(_temp.Path));

        Assert.Contains(CatalogPath, error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<JsonException>(error.InnerException);
    }

    [Fact]
    public void An_unreadable_catalog_is_refused_not_reset()
    {
        Directory.CreateDirectory(CatalogPath); // exists, but cannot be read as a file

        var error = Assert.Throws<InvalidDataException>(() => CatalogStore.Open(_temp.Path));

        Assert.Contains(CatalogPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("could not be read", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Timestamps_are_kept_in_utc()
    {
        var store = CatalogStore.Open(_temp.Path);
        var local = new DateTimeOffset(2025, 3, 4, 12, 0, 0, TimeSpan.FromHours(2));

        store.Commit(s => s with { Files = [CatalogAssert.File("s1", Day, "a") with { MinTimestamp = local, MaxTimestamp = local }] });

        var file = Assert.Single(CatalogStore.Open(_temp.Path).Current.Files);
        Assert.Equal(TimeSpan.Zero, file.MinTimestamp.Offset);
        Assert.Equal(local, file.MinTimestamp);
        Assert.Contains("2025-03-04T10:00:00+00:00", Encoding.UTF8.GetString(File.ReadAllBytes(CatalogPath)), StringComparison.Ordinal);
    }
}
