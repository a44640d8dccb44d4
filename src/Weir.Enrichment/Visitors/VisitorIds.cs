using System.Buffers.Binary;

namespace Weir.Enrichment.Visitors;

/// <summary>
/// The cookieless visitor id: SipHash-2-4 of (site, IP address, user agent) under the day's salt, the day being the UTC
/// date the event was received. The user agent enters as its 64-bit XxHash3 and its length, which the enricher has
/// computed for its own cache: the input stays short, and SipHash's key still guards the whole. The same browser on the same network is one visitor for a day; the next day it is
/// another, and once the salt is deleted the two cannot be linked.
/// </summary>
/// <remarks>
/// A visit that crosses midnight keeps its id: the ids of visitors active in the last half hour of a day are
/// remembered, and an event early the next day whose id under yesterday's salt is among them, seen less than
/// <see cref="VisitTimeout"/> ago, keeps that id. Shared by the loader's lanes (thread-safe); each lane hashes with a
/// <see cref="Hasher"/> of its own.
/// </remarks>
public sealed class VisitorIds
{
    /// <summary>How long a visitor may be idle and still continue the visit across midnight.</summary>
    public static readonly TimeSpan VisitTimeout = TimeSpan.FromMinutes(30);

    private static readonly TimeSpan LateFrom = TimeSpan.FromDays(1) - VisitTimeout;

    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, Seen> _late = [];
    private volatile int _lateCount;
    private long _prunedAt;

    public VisitorIds(VisitorSalts salts)
    {
        ArgumentNullException.ThrowIfNull(salts);
        Salts = salts;
    }

    public VisitorSalts Salts { get; }

    /// <summary>A hasher for one thread.</summary>
    public Hasher CreateHasher() => new(this);

    private void NoteLate(ulong id, DateOnly day, long ticks)
    {
        lock (_lock)
        {
            _late[id] = new Seen(day, ticks);
            _lateCount = _late.Count;
        }
    }

    /// <summary>Whether <paramref name="previousId"/> was active on the day before <paramref name="day"/> and recently enough to continue.</summary>
    private bool TryContinue(ulong previousId, DateOnly day, long ticks)
    {
        lock (_lock)
        {
            if (ticks - _prunedAt > TimeSpan.TicksPerMinute)
            {
                _prunedAt = ticks;
                foreach (var (id, seen) in _late)
                {
                    if (ticks - seen.Ticks > VisitTimeout.Ticks)
                    {
                        _late.Remove(id);
                    }
                }

                _lateCount = _late.Count;
            }

            if (_late.TryGetValue(previousId, out var last) && last.Day == day.AddDays(-1) && ticks - last.Ticks <= VisitTimeout.Ticks)
            {
                _late[previousId] = last with { Ticks = Math.Max(last.Ticks, ticks) };
                return true;
            }

            return false;
        }
    }

    private readonly record struct Seen(DateOnly Day, long Ticks);

    /// <summary>Computes visitor ids on one thread, with the day's salts at hand and a reused input buffer.</summary>
    public sealed class Hasher
    {
        private readonly VisitorIds _ids;
        private readonly Dictionary<DateOnly, Day> _days = [];
        private byte[] _input = new byte[128];
        private long _pruneAfter;
        private DateOnly _lastDate;
        private Day _lastDay;

        internal Hasher(VisitorIds ids) => _ids = ids;

        /// <summary>
        /// The visitor id of an event of <paramref name="site"/> received at <paramref name="receivedAt"/> from
        /// <paramref name="ip"/> with a user agent of XxHash3 <paramref name="userAgentHash"/> and
        /// <paramref name="userAgentLength"/> bytes (0 and 0 for none).
        /// </summary>
        public ulong Hash(DateTimeOffset receivedAt, ReadOnlySpan<byte> site, ReadOnlySpan<byte> ip, ulong userAgentHash, int userAgentLength) =>
            Hash(receivedAt, Input(site, ip, userAgentHash, userAgentLength));

        /// <summary>
        /// What the id hashes: site, IP and user agent, separated by zero bytes (which neither text holds, so no two
        /// triples give the same input), in a buffer reused from call to call.
        /// </summary>
        private ReadOnlySpan<byte> Input(ReadOnlySpan<byte> site, ReadOnlySpan<byte> ip, ulong userAgentHash, int userAgentLength)
        {
            var length = site.Length + ip.Length + 2 + 12;
            if (_input.Length < length)
            {
                _input = new byte[Math.Max(length, _input.Length * 2)];
            }

            var input = _input.AsSpan(0, length);
            site.CopyTo(input);
            input[site.Length] = 0;
            ip.CopyTo(input[(site.Length + 1)..]);
            input[site.Length + 1 + ip.Length] = 0;
            BinaryPrimitives.WriteUInt64LittleEndian(input[^12..], userAgentHash);
            BinaryPrimitives.WriteInt32LittleEndian(input[^4..], userAgentLength);
            return input;
        }

        private ulong Hash(DateTimeOffset receivedAt, ReadOnlySpan<byte> input)
        {
            var utc = receivedAt.UtcDateTime;
            var ticks = utc.Ticks;
            var date = DateOnly.FromDateTime(utc);
            var day = DayOf(date, ticks);
            var id = SipHash.Hash(day.Salt.K0, day.Salt.K1, input);
            if (!day.Current)
            {
                // Only a visit happening now can cross midnight; a record replayed days later keeps its day's id.
                return id;
            }

            var timeOfDay = utc.TimeOfDay;
            if (timeOfDay >= LateFrom)
            {
                _ids.NoteLate(id, date, ticks);
            }
            else if (_ids._lateCount > 0)
            {
                var previous = _ids.Salts.For(date.AddDays(-1));
                var previousId = SipHash.Hash(previous.K0, previous.K1, input);
                if (_ids.TryContinue(previousId, date, ticks))
                {
                    return previousId;
                }
            }

            return id;
        }

        private Day DayOf(DateOnly date, long ticks)
        {
            if (ticks > _pruneAfter)
            {
                // Once an hour, so that expired salts go even on a server that runs for days without a restart; the
                // days known here are forgotten with them.
                _pruneAfter = ticks + TimeSpan.TicksPerHour;
                _ids.Salts.Prune();
                _days.Clear();
                _lastDate = default;
            }

            if (date == _lastDate)
            {
                return _lastDay;
            }

            if (!_days.TryGetValue(date, out var day))
            {
                // Replayed and late records mix days; each day's salt is fetched once.
                day = new Day(_ids.Salts.For(date), _ids.Salts.IsStored(date));
                _days.Add(date, day);
            }

            (_lastDate, _lastDay) = (date, day);
            return day;
        }

        private readonly record struct Day(VisitorSalts.Salt Salt, bool Current);
    }
}
