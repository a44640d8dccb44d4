using Weir.Lake;

namespace Weir.Demo.Tests;

/// <summary>A lake in a temporary folder filled with demo traffic, and queries over its <c>events</c> view.</summary>
internal sealed class DemoLake : IAsyncDisposable
{
    public static readonly DateTimeOffset End = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _directory = new();

    private DemoLake()
    {
    }

    public string DataDirectory => _directory.Path;

    public Lake.Lake Lake { get; private set; } = null!;

    public DemoImportResult Result { get; private set; } = null!;

    public string SiteId { get; private set; } = "";

    public static async Task<DemoLake> CreateAsync(long events = 20_000, ulong seed = 7, Func<DemoTrafficOptions, DemoTrafficOptions>? configure = null)
    {
        var demo = new DemoLake();
        demo.SiteId = DemoSite.Ensure(demo.DataDirectory).Site.Id;
        demo.Lake = OpenLake(demo.DataDirectory);
        var options = new DemoTrafficOptions { SiteId = demo.SiteId, Events = events, Seed = seed, End = End };
        demo.Result = await DemoImport.RunAsync(demo.Lake, configure is null ? options : configure(options));
        return demo;
    }

    /// <summary>A digest of every row the lake's view shows (all columns but the folder-derived ones), order-independent.</summary>
    public long Fingerprint() =>
        Long("SELECT CAST(sum(hash(COLUMNS(* EXCLUDE (event_date)))) % 9223372036854775807 AS BIGINT) FROM events");

    public static Lake.Lake OpenLake(string dataDirectory) =>
        global::Weir.Lake.Lake.Open(new LakeOptions { DataDirectory = dataDirectory, BackgroundMaintenance = false }, log: null);

    public async Task ReopenAsync()
    {
        await Lake.DisposeAsync();
        Lake = OpenLake(DataDirectory);
    }

    public long Long(string sql) => Long(Lake, sql);

    public static long Long(Lake.Lake lake, string sql)
    {
        using var connection = lake.Connect();
        using var result = connection.Query(sql);
        using var chunk = result.NextChunk() ?? throw new InvalidOperationException("No row.");
        return chunk.GetVector(0).GetInt64(0);
    }

    public double Double(string sql)
    {
        using var connection = Lake.Connect();
        using var result = connection.Query(sql);
        using var chunk = result.NextChunk() ?? throw new InvalidOperationException("No row.");
        return chunk.GetVector(0).GetDouble(0);
    }

    public async ValueTask DisposeAsync()
    {
        await Lake.DisposeAsync();
        _directory.Dispose();
    }
}
