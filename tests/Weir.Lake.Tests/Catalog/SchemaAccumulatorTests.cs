using System.Text;
using Weir.Lake.Catalog;

namespace Weir.Lake.Tests.Catalog;

public sealed class SchemaAccumulatorTests
{
    private static readonly DateTimeOffset Noon = new(2025, 3, 4, 12, 0, 0, TimeSpan.Zero);

    private static SiteSchema Observe(params string[] propertiesJson)
    {
        var accumulator = new SchemaAccumulator();
        foreach (var json in propertiesJson)
        {
            accumulator.Observe("s1", "Clicked"u8, Encoding.UTF8.GetBytes(json), Noon);
        }

        return accumulator.MergeInto(CatalogSnapshot.Empty).Sites["s1"];
    }

    [Fact]
    public void Each_type_a_key_had_is_counted_and_several_types_are_a_conflict()
    {
        var schema = Observe("""{"plan":"pro","seats":3}""", """{"plan":3}""", """{"plan":null,"seats":4.5e2}""", """{"plan":false}""");

        var plan = schema.Properties["plan"];
        Assert.Equal(4, plan.Count);
        Assert.Equal(
            [new("boolean", 1L), new("null", 1L), new("number", 1L), new KeyValuePair<string, long>("string", 1L)],
            plan.Types.OrderBy(t => t.Key, StringComparer.Ordinal));
        Assert.True(plan.HasTypeConflict);
        Assert.False(schema.Properties["seats"].HasTypeConflict);
        Assert.Equal(2, schema.Properties["seats"].Types[JsonTypeNames.Number]);
    }

    [Fact]
    public void Nested_values_count_as_object_or_array_and_their_keys_are_not_top_level()
    {
        var schema = Observe("""{"cart":{"items":[{"sku":"a","qty":1}],"total":{"amount":3}},"tags":["x",{"deep":[1]}],"after":true}""");

        Assert.Equal(["after", "cart", "tags"], schema.Properties.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1, schema.Properties["cart"].Types[JsonTypeNames.Object]);
        Assert.Equal(1, schema.Properties["tags"].Types[JsonTypeNames.Array]);
        Assert.Equal(1, schema.Properties["after"].Types[JsonTypeNames.Boolean]);
    }

    [Fact]
    public void An_escaped_key_is_the_same_key_as_its_plain_spelling()
    {
        var schema = Observe("""{"ab":1}""", """{"a\u0062":"x"}""", """{"caf\u00e9":1}""", """{"café":1}""");

        Assert.Equal(2, schema.Properties["ab"].Count);
        Assert.Equal(2, schema.Properties["café"].Count);
        Assert.Equal(2, schema.Properties.Count);
    }

    [Theory]
    [InlineData("""{"a":1,""")]
    [InlineData("""{"a":1,"b":}""")]
    [InlineData("""{"a":1} trailing""")]
    [InlineData("""[{"a":1}]""")]
    [InlineData("\"text\"")]
    [InlineData("   ")]
    [InlineData("""{"a\uDC00":1}""")]
    public void Invalid_properties_count_the_event_and_record_no_keys(string json)
    {
        var schema = Observe(json);

        Assert.Equal(1, schema.Events["Clicked"].Count);
        Assert.Empty(schema.Properties);
        Assert.Equal(0, schema.OverflowKeys);
    }

    [Fact]
    public void Empty_properties_count_only_the_event_and_an_empty_name_counts_only_the_properties()
    {
        var accumulator = new SchemaAccumulator();
        accumulator.Observe("s1", "Clicked"u8, ReadOnlySpan<byte>.Empty, Noon);
        accumulator.Observe("s1", ReadOnlySpan<byte>.Empty, """{"path":"/"}"""u8, Noon);

        var schema = accumulator.MergeInto(CatalogSnapshot.Empty).Sites["s1"];

        Assert.Equal(["Clicked"], schema.Events.Keys);
        Assert.Equal(["path"], schema.Properties.Keys);
    }

    [Fact]
    public void Sites_are_counted_apart()
    {
        var accumulator = new SchemaAccumulator();
        accumulator.Observe("s1", "A"u8, """{"x":1}"""u8, Noon);
        accumulator.Observe("s2", "B"u8, """{"y":1}"""u8, Noon);
        accumulator.Observe("s1", "A"u8, ReadOnlySpan<byte>.Empty, Noon);

        var sites = accumulator.MergeInto(CatalogSnapshot.Empty).Sites;

        Assert.Equal(2, sites["s1"].Events["A"].Count);
        Assert.False(sites["s1"].Events.ContainsKey("B"));
        Assert.Equal(["y"], sites["s2"].Properties.Keys);
    }

    [Fact]
    public void A_site_id_that_could_not_be_a_partition_folder_is_refused()
    {
        var accumulator = new SchemaAccumulator();

        Assert.Throws<ArgumentException>(() => accumulator.Observe("../etc", "A"u8, ReadOnlySpan<byte>.Empty, Noon));
    }

    [Fact]
    public void Keys_beyond_the_cap_are_counted_as_overflow()
    {
        var accumulator = new SchemaAccumulator();
        for (var i = 0; i < SchemaAccumulator.MaxPropertyKeysPerSite; i++)
        {
            accumulator.Observe("s1", "E"u8, Encoding.UTF8.GetBytes($$"""{"k{{i}}":1}"""), Noon);
        }

        accumulator.Observe("s1", "E"u8, """{"late":1,"k0":2,"later":[]}"""u8, Noon);
        accumulator.Observe("s1", "E"u8, """{"late":1}"""u8, Noon);

        var schema = accumulator.MergeInto(CatalogSnapshot.Empty).Sites["s1"];
        Assert.Equal(SchemaAccumulator.MaxPropertyKeysPerSite, schema.Properties.Count);
        Assert.False(schema.Properties.ContainsKey("late"));
        Assert.Equal(2, schema.Properties["k0"].Count);
        Assert.Equal(3, schema.OverflowKeys);
    }

    [Fact]
    public void Event_names_beyond_the_cap_are_counted_as_overflow()
    {
        var accumulator = new SchemaAccumulator();
        for (var i = 0; i < SchemaAccumulator.MaxEventNamesPerSite; i++)
        {
            accumulator.Observe("s1", Encoding.UTF8.GetBytes("event " + i), ReadOnlySpan<byte>.Empty, Noon);
        }

        accumulator.Observe("s1", "one too many"u8, ReadOnlySpan<byte>.Empty, Noon);
        accumulator.Observe("s1", "event 7"u8, ReadOnlySpan<byte>.Empty, Noon);

        var schema = accumulator.MergeInto(CatalogSnapshot.Empty).Sites["s1"];
        Assert.Equal(SchemaAccumulator.MaxEventNamesPerSite, schema.Events.Count);
        Assert.Equal(1, schema.OverflowEvents);
        Assert.Equal(2, schema.Events["event 7"].Count);
    }

    [Fact]
    public void The_cap_holds_across_merges_and_known_keys_keep_counting()
    {
        var full = new Dictionary<string, PropertyStats>();
        for (var i = 0; i < SchemaAccumulator.MaxPropertyKeysPerSite; i++)
        {
            full["k" + i] = new PropertyStats { Count = 1, FirstSeen = Noon, LastSeen = Noon, Types = new Dictionary<string, long> { ["number"] = 1 } };
        }

        var snapshot = CatalogSnapshot.Empty with { Sites = new Dictionary<string, SiteSchema> { ["s1"] = new() { Properties = full, OverflowKeys = 5 } } };
        var accumulator = new SchemaAccumulator();
        accumulator.Observe("s1", "E"u8, """{"new":1,"k1":"x"}"""u8, Noon);

        var schema = accumulator.MergeInto(snapshot).Sites["s1"];

        Assert.Equal(SchemaAccumulator.MaxPropertyKeysPerSite, schema.Properties.Count);
        Assert.Equal(6, schema.OverflowKeys);
        Assert.Equal(2, schema.Properties["k1"].Count);
        Assert.Equal(1, schema.Properties["k1"].Types[JsonTypeNames.String]);
    }

    [Fact]
    public void Merging_twice_adds_the_counts_and_widens_first_and_last_seen()
    {
        var accumulator = new SchemaAccumulator();
        accumulator.Observe("s1", "Bought"u8, """{"price":1}"""u8, Noon);
        var once = accumulator.MergeInto(CatalogSnapshot.Empty);

        accumulator.Observe("s1", "Bought"u8, """{"price":"1.00"}"""u8, Noon.AddDays(1));
        accumulator.Observe("s1", "Bought"u8, """{"price":2}"""u8, Noon.AddDays(-1));
        var twice = accumulator.MergeInto(once);

        var bought = twice.Sites["s1"].Events["Bought"];
        Assert.Equal(3, bought.Count);
        Assert.Equal(Noon.AddDays(-1), bought.FirstSeen);
        Assert.Equal(Noon.AddDays(1), bought.LastSeen);
        var price = twice.Sites["s1"].Properties["price"];
        Assert.Equal(3, price.Count);
        Assert.Equal(2, price.Types[JsonTypeNames.Number]);
        Assert.Equal(1, price.Types[JsonTypeNames.String]);
        Assert.Equal(1, once.Sites["s1"].Events["Bought"].Count);
    }

    [Fact]
    public void MergeInto_empties_the_accumulator_and_keeps_other_sites()
    {
        var accumulator = new SchemaAccumulator();
        accumulator.Observe("s1", "A"u8, ReadOnlySpan<byte>.Empty, Noon);
        var first = accumulator.MergeInto(CatalogSnapshot.Empty);
        accumulator.Observe("s2", "B"u8, ReadOnlySpan<byte>.Empty, Noon);

        var second = accumulator.MergeInto(first);
        var third = accumulator.MergeInto(second);

        Assert.Equal(1, second.Sites["s1"].Events["A"].Count);
        Assert.Equal(1, second.Sites["s2"].Events["B"].Count);
        Assert.Same(second, third);
    }

    [Fact]
    public void Timestamps_with_an_offset_are_compared_as_instants()
    {
        var accumulator = new SchemaAccumulator();
        accumulator.Observe("s1", "A"u8, ReadOnlySpan<byte>.Empty, new DateTimeOffset(2025, 3, 4, 12, 0, 0, TimeSpan.FromHours(5)));
        accumulator.Observe("s1", "A"u8, ReadOnlySpan<byte>.Empty, new DateTimeOffset(2025, 3, 4, 9, 0, 0, TimeSpan.Zero));

        var stats = accumulator.MergeInto(CatalogSnapshot.Empty).Sites["s1"].Events["A"];

        Assert.Equal(new DateTimeOffset(2025, 3, 4, 7, 0, 0, TimeSpan.Zero), stats.FirstSeen);
        Assert.Equal(TimeSpan.Zero, stats.FirstSeen.Offset);
        Assert.Equal(new DateTimeOffset(2025, 3, 4, 9, 0, 0, TimeSpan.Zero), stats.LastSeen);
    }

    [Fact]
    public void Names_seen_before_cost_no_allocation()
    {
        var accumulator = new SchemaAccumulator();
        var name = "Order Completed"u8.ToArray();
        var properties = """{"total":12.5,"currency":"EUR","items":[{"sku":"a"}],"caf\u00e9":true}"""u8.ToArray();
        for (var i = 0; i < 100; i++)
        {
            accumulator.Observe("s1", name, properties, Noon);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            accumulator.Observe("s1", name, properties, Noon);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(10_100, accumulator.MergeInto(CatalogSnapshot.Empty).Sites["s1"].Properties["café"].Count);
    }
}
