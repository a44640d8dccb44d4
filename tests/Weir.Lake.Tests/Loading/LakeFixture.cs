using Weir.Core.Events;
using Weir.DuckDb;
using Weir.Log;

namespace Weir.Lake.Tests.Loading;

/// <summary>A data folder with a real log and a lake over it, and ways to feed and query them.</summary>
internal sealed class LakeFixture : IAsyncDisposable
{
    private readonly TempDirectory _directory = new();

    public LakeFixture(Func<LakeOptions, LakeOptions>? configure = null)
    {
        Options = new LakeOptions { DataDirectory = _directory.Path, BackgroundMaintenance = false };
        if (configure is not null)
        {
            Options = configure(Options);
        }

        Log = OpenLog();
        Lake = Lake.Open(Options, Log);
    }

    public LakeOptions Options { get; }

    public string DataDirectory => _directory.Path;

    public DurableLog Log { get; private set; }

    public Lake Lake { get; private set; }

    public static readonly DateTimeOffset Day0 = new(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);

    public static CanonicalEvent Event(int i, string site = "site-a", DateTimeOffset? timestamp = null, DateTimeOffset? received = null, string? messageId = null,
        string? userId = null, string name = "Signup") => new()
        {
            MessageId = messageId ?? $"m-{i:D8}",
            SiteId = site,
            Protocol = EventProtocol.Segment,
            Type = EventType.Track,
            Event = name,
            UserId = userId,
            AnonymousId = $"anon-{i % 97}",
            Timestamp = timestamp ?? Day0.AddMinutes(i),
            ReceivedAt = received ?? Day0.AddDays(2).AddMinutes(i),
            Path = "/p/" + (i % 13),
            Properties = $$"""{"plan":"p{{i % 3}}","n":{{i}}}""",
        };

    /// <summary>Appends the events durably and returns the log position after the last one.</summary>
    public async Task<long> AppendAsync(IEnumerable<CanonicalEvent> events)
    {
        foreach (var e in events)
        {
            await Log.AppendAsync(CanonicalEventWriter.ToUtf8(e));
        }

        return Log.CommittedPosition;
    }

    public async Task<long> AppendRawAsync(byte[] payload)
    {
        await Log.AppendAsync(payload);
        return Log.CommittedPosition;
    }

    /// <summary>Appends, then waits until the lake has loaded everything and made it visible.</summary>
    public async Task LoadAsync(IEnumerable<CanonicalEvent> events)
    {
        var end = await AppendAsync(events);
        await Lake.WhenLoadedAsync(end);
    }

    public long Count(string sql = "SELECT count(*) FROM events")
    {
        using var connection = Lake.Connect();
        return Convert.ToInt64(connection.ExecuteScalar(sql), System.Globalization.CultureInfo.InvariantCulture);
    }

    public List<string> Strings(string sql)
    {
        using var connection = Lake.Connect();
        using var result = connection.Query(sql);
        var values = new List<string>();
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                var vector = chunk.GetVector(0);
                for (var i = 0; i < chunk.RowCount; i++)
                {
                    values.Add(vector.GetString(i));
                }
            }
        }

        return values;
    }

    /// <summary>Closes the lake (which flushes) and the log, and opens both again, as a restart does.</summary>
    public async Task RestartAsync(bool start = true)
    {
        await Lake.DisposeAsync();
        await Log.DisposeAsync();
        Log = OpenLog();
        Lake = Lake.Open(Options, Log);
        if (start)
        {
            Lake.Start();
        }
    }

    /// <summary>An independent reader: a separate DuckDB reading the lake's folders the way any Hive-aware tool would.</summary>
    public List<string> ReadFolder(string select)
    {
        using var database = DuckDbDatabase.Open();
        using var connection = database.Connect();
        var glob = Path.Combine(DataDirectory, "lake", "events", "*", "*", "*.parquet");
        using var result = connection.Query($"SELECT {select} FROM read_parquet('{glob}', hive_partitioning = true) ORDER BY ALL");
        var rows = new List<string>();
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                for (var i = 0; i < chunk.RowCount; i++)
                {
                    var fields = new string[chunk.ColumnCount];
                    for (var c = 0; c < chunk.ColumnCount; c++)
                    {
                        fields[c] = Convert.ToString(chunk.GetVector(c).GetValue(i), System.Globalization.CultureInfo.InvariantCulture) ?? "null";
                    }

                    rows.Add(string.Join('|', fields));
                }
            }
        }

        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        await Lake.DisposeAsync();
        await Log.DisposeAsync();
        _directory.Dispose();
    }

    private DurableLog OpenLog() => DurableLog.Open(new LogOptions
    {
        Directory = Path.Combine(_directory.Path, "log"),
        SegmentBytes = 1 << 20,
        ArchiveDirectory = Path.Combine(_directory.Path, "raw"),
    });
}
