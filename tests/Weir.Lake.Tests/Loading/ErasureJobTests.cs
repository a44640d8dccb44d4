using System.IO.Compression;
using System.Text;
using Weir.Lake.Maintenance;

namespace Weir.Lake.Tests.Loading;

public sealed class ErasureJobTests
{
    private const string Person = "person-7f3a9c-erase-me";

    [Fact]
    public async Task An_erasure_leaves_no_byte_of_the_person_in_the_lake_the_hot_table_the_log_or_the_raw_zone()
    {
        await using var lake = new LakeFixture(o => o with { GracePeriod = TimeSpan.FromHours(1) });
        lake.Lake.Start();
        // Enough events to fill several 1 MiB log segments, so that some reach the raw zone once the lake has flushed
        // them; every 50th is the person's.
        var first = Enumerable.Range(0, 12_000).Select(i => LakeFixture.Event(i, timestamp: LakeFixture.Day0.AddDays(i % 3).AddSeconds(i), userId: i % 50 == 0 ? Person : "someone-" + i)).ToList();
        await lake.LoadAsync(first.Take(6_000));
        await lake.Lake.FlushAsync();
        await lake.LoadAsync(first.Skip(6_000));
        await lake.Lake.FlushAsync();
        await lake.Log.RunRetentionAsync();
        // Compaction leaves the flushed files in their grace period, as pending deletes that still hold the person's rows.
        await lake.Lake.CompactAsync();
        Assert.NotEmpty(lake.Lake.Catalog.PendingDeletes);
        // And some of the person's events only in the hot table, and some only in the log (the loader stopped first).
        await lake.LoadAsync(Enumerable.Range(20_000, 100).Select(i => LakeFixture.Event(i, userId: i % 10 == 0 ? Person : "later-" + i)));

        Assert.True(FilesContaining(lake.DataDirectory, Person).Any(f => f.Contains("raw", StringComparison.Ordinal)), "no archived segment held the person");
        Assert.True(FilesContaining(lake.DataDirectory, Person).Any(f => f.Contains("lake", StringComparison.Ordinal)), "no lake file held the person");
        Assert.Equal(250, lake.Count($"SELECT count(*) FROM events WHERE user_id = '{Person}'"));

        var job = lake.Lake.RequestErasure(null, ErasureField.UserId, Person);
        Assert.Equal(ErasureStatus.Pending, job.Status);
        var done = await lake.Lake.WhenErasureFinishedAsync(job.Id).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(ErasureStatus.Completed, done.Status);
        Assert.Null(done.Error);
        Assert.Equal(250, done.LogRecordsErased);
        Assert.Equal(0, lake.Count($"SELECT count(*) FROM events WHERE user_id = '{Person}'"));
        Assert.Equal(12_100 - 250, lake.Count());
        Assert.Empty(FilesContaining(lake.DataDirectory, Person));

        // The same after a restart: the log holds tombstones now, and nothing comes back.
        await lake.RestartAsync();
        await lake.Lake.WhenLoadedAsync(lake.Log.CommittedPosition);
        Assert.Equal(12_100 - 250, lake.Count());
        Assert.Equal(ErasureStatus.Completed, lake.Lake.GetErasure(job.Id)!.Status);
    }

    [Fact]
    public async Task An_erasure_for_one_site_leaves_the_same_id_on_other_sites()
    {
        await using var lake = new LakeFixture();
        lake.Lake.Start();
        await lake.LoadAsync([
            LakeFixture.Event(1, site: "site-a", userId: Person),
            LakeFixture.Event(2, site: "site-b", userId: Person),
            LakeFixture.Event(3, site: "site-a", userId: "other"),
        ]);

        var job = lake.Lake.RequestErasure("site-a", ErasureField.UserId, Person);
        var done = await lake.Lake.WhenErasureFinishedAsync(job.Id).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(ErasureStatus.Completed, done.Status);
        Assert.Equal(["site-b"], lake.Strings($"SELECT site_id FROM events WHERE user_id = '{Person}'"));
        Assert.Equal(2, lake.Count());
    }

    [Fact]
    public async Task An_erasure_request_without_an_identifier_is_refused()
    {
        await using var lake = new LakeFixture();
        Assert.Throws<ArgumentException>(() => lake.Lake.RequestErasure(null, ErasureField.UserId, ""));
        Assert.Throws<ArgumentException>(() => lake.Lake.RequestErasure("../etc", ErasureField.UserId, "x"));
    }

    /// <summary>Every file under the data folder whose bytes (gunzipped for archives) contain <paramref name="marker"/>.</summary>
    private static List<string> FilesContaining(string directory, string marker)
    {
        var needle = Encoding.UTF8.GetBytes(marker);
        var found = new List<string>();
        foreach (var path in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(path) == "LOCK")
            {
                continue; // empty, and locked by the open log
            }

            byte[] bytes;
            if (path.EndsWith(".gz", StringComparison.Ordinal))
            {
                using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
                using var copy = new MemoryStream();
                gzip.CopyTo(copy);
                bytes = copy.ToArray();
            }
            else
            {
                bytes = File.ReadAllBytes(path);
            }

            if (bytes.AsSpan().IndexOf(needle) >= 0)
            {
                found.Add(path);
            }
        }

        return found;
    }
}
