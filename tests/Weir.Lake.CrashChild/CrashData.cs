using System.Globalization;
using Weir.Core.Events;
using Weir.Log;

namespace Weir.Lake.CrashChild;

/// <summary>
/// What the lake crash child and its tests (tests/Weir.Lake.Tests/Crash, which compile this file too) agree on: the
/// options of the log and the lake, and the events. Event <c>n</c> is a pure function of <c>n</c>, so an event sent
/// again after a kill is the same record, and the tests know every event without reading the child's output.
/// </summary>
/// <remarks>
/// Event times spread over <see cref="Days"/> days and two sites, so every flush touches twenty partitions. Receive
/// times advance <see cref="ReceiveStep"/> per id, so the de-duplication window (7 days) spans 168 ids: after some
/// events the child sends a copy of a recent one (<see cref="NearCopyOf"/>, which the loader must drop) or of one
/// <see cref="LateCopyDistance"/> ids back (<see cref="LateCopyOf"/>, outside the window: the loader keeps it, and
/// compaction, which keeps the copy received first, drops it).
/// </remarks>
internal static class CrashData
{
    /// <summary>Events the child appends in one durable batch (copies come on top).</summary>
    public const int BatchSize = 40;

    public const int Days = 10;

    /// <summary>
    /// How far back a late copy reaches: 400 hours, beyond the 7-day window (168 hours), and more rows than one flush
    /// holds (FlushRows + ReadBatch), so the two copies are always in different files for compaction to merge.
    /// </summary>
    public const int LateCopyDistance = 400;

    /// <summary>The people whose events the erasure test erases; every event belongs to one of them (<see cref="PersonOf"/>).</summary>
    public static readonly IReadOnlyList<string> People =
    [
        "pgr3cd9xfqzcwj", "cdssdkdxsc9zfk", "33zczzrckcxgns", "gxfznx94hfzz3j", "qfx5dzc2jv4xs7",
        "ptztqnk8h57kdz", "nwvp6tn2dfwsh7", "pgvsc4d7xz89pp", "5q2vz8td9dmv54", "dc65n3z49tn5r4",
    ];

    public static readonly DateTimeOffset Day0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly TimeSpan ReceiveStep = TimeSpan.FromHours(1);

    public static LogOptions LogOptions(string data) => new()
    {
        Directory = Path.Combine(data, "log"),
        ArchiveDirectory = Path.Combine(data, "raw"),
        SegmentBytes = 64 << 10,
    };

    /// <summary>
    /// Small flushes (the loader also flushes on its own while it catches up after a kill), no background maintenance
    /// (the child and the tests call it), and no grace period, so that sweeping deletes compaction's inputs at once.
    /// </summary>
    public static LakeOptions LakeOptions(string data) => new()
    {
        DataDirectory = data,
        BackgroundMaintenance = false,
        FlushRows = 120,
        ReadBatch = 100,
        GracePeriod = TimeSpan.Zero,
        Threads = 1,
    };

    public static string MessageId(long id) => "m-" + id.ToString("D8", CultureInfo.InvariantCulture);

    public static long IdOf(string messageId) => long.Parse(messageId.AsSpan(2), CultureInfo.InvariantCulture);

    /// <summary>Each person's events fall on two days (half of day <c>k</c>, half of day <c>k − 1</c>), so an erasure rewrites a few partitions, not all.</summary>
    public static string PersonOf(long id) => People[(int)(((id % Days) + (id / Days % 2)) % People.Count)];

    public static string SiteOf(long id) => id % 3 == 0 ? "site-b" : "site-a";

    public static DateTimeOffset ReceivedAt(long id) => Day0.AddDays(Days) + (ReceiveStep * id);

    /// <summary>Event <paramref name="id"/> as first sent.</summary>
    public static CanonicalEvent Event(long id) => new()
    {
        MessageId = MessageId(id),
        SiteId = SiteOf(id),
        Protocol = EventProtocol.Segment,
        Type = EventType.Track,
        Event = id % 5 == 0 ? "Signup" : "Click",
        UserId = PersonOf(id),
        AnonymousId = "anon-" + (id % 97).ToString(CultureInfo.InvariantCulture),
        Timestamp = Day0.AddDays(id % Days).AddSeconds(id * 7919 % 86_400),
        ReceivedAt = ReceivedAt(id),
        Path = "/p/" + (id % 13).ToString(CultureInfo.InvariantCulture),
        Properties = string.Create(CultureInfo.InvariantCulture, $$"""{"plan":"p{{id % 3}}","n":{{id}}}"""),
    };

    /// <summary>The id of the recent event sent again right after event <paramref name="id"/> (within the window: at most 31 hours back), or −1.</summary>
    public static long NearCopyOf(long id) => id % 7 == 3 && id >= 40 ? id - 1 - (id % 31) : -1;

    /// <summary>The id of the event sent again, beyond the window, right after event <paramref name="id"/>, or −1.</summary>
    public static long LateCopyOf(long id) => id % 29 == 0 && id >= LateCopyDistance ? id - LateCopyDistance : -1;

    /// <summary>
    /// The records of events [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>), each
    /// followed by its copies unless <paramref name="copies"/> is false.
    /// </summary>
    public static ReadOnlyMemory<byte>[] Records(long first, int count, bool copies = true)
    {
        var records = new List<ReadOnlyMemory<byte>>(count + (count / 4));
        for (var id = first; id < first + count; id++)
        {
            records.Add(CanonicalEventWriter.ToUtf8(Event(id)));
            if (!copies)
            {
                continue;
            }

            foreach (var original in (ReadOnlySpan<long>)[NearCopyOf(id), LateCopyOf(id)])
            {
                if (original >= 0)
                {
                    // The same event, received again now.
                    var copy = Event(original);
                    copy.ReceivedAt = ReceivedAt(id);
                    records.Add(CanonicalEventWriter.ToUtf8(copy));
                }
            }
        }

        return [.. records];
    }
}
