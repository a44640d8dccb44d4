using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using Weir.Core.IO;
using Weir.Log.Format;

namespace Weir.Lake.Loading;

/// <summary>
/// The loader's memory of recent <c>message_id</c>s: a record whose (site, message id) was received within the window
/// before is a duplicate. Keys are <see cref="MessageIdHash"/>es, stamped with the hour they were received, in an
/// open-addressing table of parallel arrays (20 bytes an entry, no object per entry).
/// </summary>
/// <remarks>
/// <para>
/// Time is the records' own <c>received_at</c>, never the wall clock, so replaying the same log makes the same
/// decisions. The window is counted in whole hours: an id is a duplicate when it was first received at most
/// <c>window</c> hours (rounded up) before.
/// </para>
/// <para>
/// It survives restarts through files in <c>&lt;lake&gt;/dedup/</c>, one per flush, named by the flush's log
/// position and written before the catalog commit that makes the flush count. At start only files at or below the
/// catalog's watermark are read: a file above it belongs to a flush that never committed, whose records the loader
/// reads again (and adds again). The files are merged into one when they pile up. Not thread-safe: the loader's
/// thread owns it.
/// </para>
/// </remarks>
internal sealed class DedupWindow
{
    public const string DirectoryName = "dedup";
    private const string Extension = ".bin";
    private const int EntryBytes = 20;
    private const int HeaderBytes = 16;
    private const int MaxFilesBeforeMerge = 32;
    private static ReadOnlySpan<byte> Magic => "WEIRDDP1"u8;

    private readonly string _directory;
    private readonly int _windowHours;
    private ulong[] _high;
    private ulong[] _low;
    private int[] _hour; // hours since the Unix epoch; 0 marks a free slot (no real record is that old)
    private int _count;
    private int _latestHour;

    // Keys added since the last Persist, which the next flush's file holds.
    private ulong[] _pendingHigh = new ulong[1024];
    private ulong[] _pendingLow = new ulong[1024];
    private int[] _pendingHour = new int[1024];
    private int _pendingCount;

    public DedupWindow(string lakeRoot, TimeSpan window, int initialCapacity = 1 << 16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.FromHours(1));
        _directory = Path.Combine(lakeRoot, DirectoryName);
        _windowHours = (int)Math.Ceiling(window.TotalHours);
        var capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(initialCapacity, 16));
        _high = new ulong[capacity];
        _low = new ulong[capacity];
        _hour = new int[capacity];
    }

    /// <summary>Ids remembered (some may be older than the window until the next purge).</summary>
    public int Count => _count;

    private int FileCount => Directory.Exists(_directory) ? Directory.GetFiles(_directory, "*" + Extension).Length : 0;

    /// <summary>
    /// Remembers the id and returns true, or returns false when it was received within the window before (a duplicate,
    /// which the caller drops).
    /// </summary>
    public bool TryAdd(UInt128 key, DateTimeOffset receivedAt)
    {
        var hour = HourOf(receivedAt);
        if (hour > _latestHour)
        {
            _latestHour = hour;
        }

        var high = (ulong)(key >> 64);
        var low = (ulong)key;
        var slot = Probe(high, low);
        if (_hour[slot] != 0)
        {
            if (hour - _hour[slot] <= _windowHours)
            {
                return false;
            }

            // Seen, but longer ago than the window: a new event that reuses an old id.
            _hour[slot] = hour;
            AddPending(high, low, hour);
            return true;
        }

        _high[slot] = high;
        _low[slot] = low;
        _hour[slot] = hour;
        _count++;
        AddPending(high, low, hour);
        if (_count * 10 > _hour.Length * 7)
        {
            Rebuild();
        }

        return true;
    }

    /// <summary>
    /// Loads the files of flushes the catalog has committed (names at or below <paramref name="watermark"/>) and deletes
    /// the others. Entries older than the window, measured from the newest one, are dropped.
    /// </summary>
    public void Load(long watermark)
    {
        if (!Directory.Exists(_directory))
        {
            return;
        }

        foreach (var path in Directory.GetFiles(_directory))
        {
            var name = Path.GetFileName(path);
            if (!TryParsePosition(name, out var position) || position > watermark)
            {
                // Temporary files, and files of flushes that did not commit: their ids are read from the log again.
                File.Delete(path);
                continue;
            }

            LoadFile(path);
        }

        _pendingCount = 0;
        Purge();
    }

    /// <summary>
    /// Writes the ids added since the last call to the file of the flush that ends at <paramref name="position"/>, and
    /// makes it durable. Call before the catalog commit of that flush.
    /// </summary>
    public void Persist(long position)
    {
        if (_pendingCount == 0)
        {
            return;
        }

        Directory.CreateDirectory(_directory);
        var bytes = Serialize(_pendingHigh, _pendingLow, _pendingHour, _pendingCount, allSlots: false);
        DurableFile.WriteAllBytes(PathOf(position), bytes);
        _pendingCount = 0;
    }

    /// <summary>
    /// After the catalog commit of the flush at <paramref name="position"/>: when files have piled up, writes the whole
    /// window as that flush's file and deletes the older ones. Every id in the window is then committed, since the
    /// loader flushes everything it has loaded.
    /// </summary>
    public void MergeFilesIfMany(long position)
    {
        if (_pendingCount != 0 || FileCount <= MaxFilesBeforeMerge)
        {
            return;
        }

        Purge();
        DurableFile.WriteAllBytes(PathOf(position), Serialize(_high, _low, _hour, _hour.Length, allSlots: true));
        foreach (var path in Directory.GetFiles(_directory, "*" + Extension))
        {
            if (TryParsePosition(Path.GetFileName(path), out var other) && other < position)
            {
                File.Delete(path);
            }
        }

        DurableFile.SyncDirectory(_directory);
    }

    private static int HourOf(DateTimeOffset time) => (int)Math.Max(1, time.ToUnixTimeSeconds() / 3600);

    private string PathOf(long position) => Path.Combine(_directory, position.ToString("D20", CultureInfo.InvariantCulture) + Extension);

    private static bool TryParsePosition(string name, out long position)
    {
        position = 0;
        return name.Length == 20 + Extension.Length && name.EndsWith(Extension, StringComparison.Ordinal)
            && long.TryParse(name.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out position);
    }

    private void AddPending(ulong high, ulong low, int hour)
    {
        if (_pendingCount == _pendingHour.Length)
        {
            Array.Resize(ref _pendingHigh, _pendingCount * 2);
            Array.Resize(ref _pendingLow, _pendingCount * 2);
            Array.Resize(ref _pendingHour, _pendingCount * 2);
        }

        _pendingHigh[_pendingCount] = high;
        _pendingLow[_pendingCount] = low;
        _pendingHour[_pendingCount] = hour;
        _pendingCount++;
    }

    /// <summary>Drops entries outside the window, and doubles the table when it is still more than half full.</summary>
    private void Rebuild()
    {
        var oldest = _latestHour - _windowHours;
        var live = 0;
        foreach (var hour in _hour)
        {
            if (hour != 0 && hour >= oldest)
            {
                live++;
            }
        }

        var capacity = _hour.Length;
        while (live * 2 > capacity)
        {
            capacity *= 2;
        }

        Reinsert(capacity, oldest);
    }

    private void Purge() => Reinsert(_hour.Length, _latestHour - _windowHours);

    private void Reinsert(int capacity, int oldest)
    {
        var (high, low, hours) = (_high, _low, _hour);
        _high = new ulong[capacity];
        _low = new ulong[capacity];
        _hour = new int[capacity];
        _count = 0;
        for (var i = 0; i < hours.Length; i++)
        {
            if (hours[i] != 0 && hours[i] >= oldest)
            {
                Insert(high[i], low[i], hours[i]);
            }
        }
    }

    /// <summary>The slot holding the key, or the free slot where it belongs (linear probing).</summary>
    private int Probe(ulong high, ulong low)
    {
        var mask = _hour.Length - 1;
        var slot = (int)low & mask;
        while (_hour[slot] != 0 && (_low[slot] != low || _high[slot] != high))
        {
            slot = (slot + 1) & mask;
        }

        return slot;
    }

    /// <summary>Inserts or keeps the later hour; used when loading, where the same id may come from several files.</summary>
    private void Insert(ulong high, ulong low, int hour)
    {
        if ((_count + 1) * 10 > _hour.Length * 7)
        {
            Reinsert(_hour.Length * 2, 0);
        }

        var slot = Probe(high, low);
        if (_hour[slot] != 0)
        {
            _hour[slot] = Math.Max(_hour[slot], hour);
            return;
        }

        _high[slot] = high;
        _low[slot] = low;
        _hour[slot] = hour;
        _count++;
    }

    private static byte[] Serialize(ulong[] high, ulong[] low, int[] hours, int length, bool allSlots)
    {
        var count = 0;
        for (var i = 0; i < length; i++)
        {
            if (!allSlots || hours[i] != 0)
            {
                count++;
            }
        }

        var bytes = new byte[HeaderBytes + (count * EntryBytes) + 4];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), count);
        var offset = HeaderBytes;
        for (var i = 0; i < length; i++)
        {
            if (allSlots && hours[i] == 0)
            {
                continue;
            }

            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(offset), high[i]);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(offset + 8), low[i]);
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset + 16), hours[i]);
            offset += EntryBytes;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset), Crc32C.Compute(bytes.AsSpan(0, offset)));
        return bytes;
    }

    private void LoadFile(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var body = bytes.Length - 4;
        if (bytes.Length < HeaderBytes + 4 || !bytes.AsSpan(0, 8).SequenceEqual(Magic)
            || BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8)) * EntryBytes != body - HeaderBytes
            || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(body)) != Crc32C.Compute(bytes.AsSpan(0, body)))
        {
            // Written durably before its flush committed, so damage is not a crash's doing. Losing it would only let
            // duplicates through until compaction drops them, but say so rather than guess.
            throw new InvalidDataException(
                $"The de-duplication file {path} is damaged. Delete it to continue: duplicates it would have caught are then removed by compaction instead.");
        }

        for (var offset = HeaderBytes; offset < body; offset += EntryBytes)
        {
            var hour = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset + 16));
            Insert(BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset)), BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset + 8)), hour);
            _latestHour = Math.Max(_latestHour, hour);
        }
    }
}
