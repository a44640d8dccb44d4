using System.IO.Hashing;
using System.Text;
using Weir.Enrichment.Visitors;

namespace Weir.Enrichment.Tests;

/// <summary>The cookieless visitor id: SipHash, the daily salts on disk, and visits that cross midnight.</summary>
public sealed class VisitorIdTests : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _data = new();
    private readonly ManualTime _time = new(Noon);

    public void Dispose() => _data.Dispose();

    [Fact]
    public void SipHash_matches_the_reference_vectors()
    {
        // The paper's key 00 01 … 0f, and the messages 00 01 … (n-1) of its test vectors.
        const ulong K0 = 0x0706050403020100, K1 = 0x0f0e0d0c0b0a0908;
        var message = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        Assert.Equal(0x726fdb47dd0e0e31UL, SipHash.Hash(K0, K1, message.AsSpan(0, 0)));
        Assert.Equal(0x74f839c593dc67fdUL, SipHash.Hash(K0, K1, message.AsSpan(0, 1)));
        Assert.Equal(0xa129ca6149be45e5UL, SipHash.Hash(K0, K1, message.AsSpan(0, 15)));
        Assert.Equal(0x3f2acc7f57c29bdbUL, SipHash.Hash(K0, K1, message.AsSpan(0, 16)));
    }

    [Fact]
    public void An_id_is_stable_within_a_day_and_differs_by_site_address_agent_and_day()
    {
        var hasher = new VisitorIds(VisitorSalts.Open(_data.Path, _time)).CreateHasher();
        var morning = Id(hasher, Noon.AddHours(-3), "site-a", "203.0.113.9", "Firefox/120");
        Assert.Equal(morning, Id(hasher, Noon, "site-a", "203.0.113.9", "Firefox/120"));
        Assert.Equal(morning, Id(hasher, Noon.AddHours(11), "site-a", "203.0.113.9", "Firefox/120"));

        Assert.NotEqual(morning, Id(hasher, Noon, "site-b", "203.0.113.9", "Firefox/120"));
        Assert.NotEqual(morning, Id(hasher, Noon, "site-a", "203.0.113.10", "Firefox/120"));
        Assert.NotEqual(morning, Id(hasher, Noon, "site-a", "203.0.113.9", "Firefox/121"));
        // The separators keep the parts apart: moving a byte from one part to the next is another visitor.
        Assert.NotEqual(Id(hasher, Noon, "site-a1", "0.0.0.1", ""), Id(hasher, Noon, "site-a", "10.0.0.1", ""));

        _time.Now = Noon.AddDays(1);
        Assert.NotEqual(morning, Id(hasher, Noon.AddDays(1), "site-a", "203.0.113.9", "Firefox/120"));
    }

    [Fact]
    public void Salts_are_kept_on_disk_across_restarts_and_deleted_after_two_days()
    {
        var salts = VisitorSalts.Open(_data.Path, _time);
        var today = Id(new VisitorIds(salts).CreateHasher(), Noon, "site-a", "203.0.113.9", "Firefox/120");
        var file = Path.Combine(_data.Path, VisitorSalts.FolderName, "2026-12-07.salt");
        Assert.Equal(16, new FileInfo(file).Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        // A new process reads the same salt: the same visitor keeps the same id for the rest of the day.
        var reopened = VisitorSalts.Open(_data.Path, _time);
        Assert.Equal(today, Id(new VisitorIds(reopened).CreateHasher(), Noon.AddHours(1), "site-a", "203.0.113.9", "Firefox/120"));

        // The next day both salts are kept (a visit may cross midnight); the day after, the first one goes.
        _time.Now = Noon.AddDays(1);
        reopened.For(DateOnly.FromDateTime(_time.Now.UtcDateTime));
        Assert.Equal([new DateOnly(2026, 12, 7), new DateOnly(2026, 12, 8)], reopened.StoredDays());
        _time.Now = Noon.AddDays(2);
        reopened.Prune();
        Assert.Equal([new DateOnly(2026, 12, 8)], reopened.StoredDays());
        Assert.False(File.Exists(file));
        _time.Now = Noon.AddDays(3);
        Assert.Empty(VisitorSalts.Open(_data.Path, _time).StoredDays());
    }

    [Fact]
    public void A_day_whose_salt_is_gone_gets_one_that_is_never_written()
    {
        var salts = VisitorSalts.Open(_data.Path, _time);
        var hasher = new VisitorIds(salts).CreateHasher();
        var old = Noon.AddDays(-10);
        var id = Id(hasher, old, "site-a", "203.0.113.9", "Firefox/120");
        Assert.Equal(id, Id(hasher, old.AddHours(2), "site-a", "203.0.113.9", "Firefox/120"));
        Assert.False(salts.IsStored(DateOnly.FromDateTime(old.UtcDateTime)));
        Assert.Empty(salts.StoredDays());
    }

    [Fact]
    public void A_visit_that_crosses_midnight_keeps_its_id_and_an_idle_one_does_not()
    {
        var lateEvening = new DateTimeOffset(2026, 12, 7, 23, 50, 0, TimeSpan.Zero);
        _time.Now = lateEvening;
        var ids = new VisitorIds(VisitorSalts.Open(_data.Path, _time));
        var hasher = ids.CreateHasher();
        var crossing = Id(hasher, lateEvening, "site-a", "203.0.113.9", "Firefox/120");
        var earlier = Id(hasher, lateEvening.AddHours(-1), "site-a", "198.51.100.7", "Firefox/120");
        var leaving = Id(hasher, lateEvening.AddMinutes(5), "site-a", "192.0.2.1", "Firefox/120");

        _time.Now = lateEvening.AddMinutes(20);
        // Active ten minutes before midnight: the visit goes on, under yesterday's id, while it stays active.
        Assert.Equal(crossing, Id(hasher, lateEvening.AddMinutes(20), "site-a", "203.0.113.9", "Firefox/120"));
        Assert.Equal(crossing, Id(hasher, lateEvening.AddMinutes(45), "site-a", "203.0.113.9", "Firefox/120"));
        // Another lane (another hasher) continues the same visit: the lanes share what they saw.
        Assert.Equal(crossing, ids.CreateHasher().Hash(lateEvening.AddMinutes(50), "site-a"u8, "203.0.113.9"u8, XxHash3.HashToUInt64("Firefox/120"u8), 11));
        // Last seen at 22:50: a new day, a new visitor.
        var next = Id(hasher, lateEvening.AddMinutes(20), "site-a", "198.51.100.7", "Firefox/120");
        Assert.NotEqual(earlier, next);
        // Seen at 23:55 and then idle for more than half an hour: a new visit, and today's id.
        var back = Id(hasher, lateEvening.AddMinutes(40), "site-a", "192.0.2.1", "Firefox/120");
        Assert.NotEqual(leaving, back);
        Assert.Equal(back, Id(hasher, lateEvening.AddHours(5), "site-a", "192.0.2.1", "Firefox/120"));
    }

    private static ulong Id(VisitorIds.Hasher hasher, DateTimeOffset receivedAt, string site, string ip, string userAgent)
    {
        var agent = Encoding.UTF8.GetBytes(userAgent);
        return hasher.Hash(receivedAt, Encoding.UTF8.GetBytes(site), Encoding.UTF8.GetBytes(ip), agent.Length == 0 ? 0 : XxHash3.HashToUInt64(agent), agent.Length);
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
