using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using Weir.Core.IO;
using Weir.Core.Memory;
using Weir.Log.Format;

namespace Weir.Lake.Loading;

/// <summary>
/// The loader's memory of recent <c>message_id</c>s: a record whose (site, message id) was received within the window
/// before is a duplicate. Keys are <see cref="MessageIdHash"/>es, of which 96 bits are kept, stamped with the hour
/// they were received, in an open-addressing table of 16-byte entries outside the managed heap.
/// </summary>
/// <remarks>
/// <para>
/// Time is the records' own <c>received_at</c>, never the wall clock, so replaying the same log makes the same
/// decisions. The window is counted in whole hours: an id is a duplicate when it was first received at most
/// <c>window</c> hours (rounded up) before.
/// </para>
/// <para>
/// 96 bits of a hash make a false duplicate among ten million ids about one chance in 10^15; keeping them and the hour
/// in 16 bytes puts four entries in a cache line. With a window of millions of ids nearly every probe misses the cache,
/// so the table lives in huge pages (<see cref="NativeArray{T}"/>) and the loader prefetches a batch's slots before
/// probing them (<see cref="Prefetch"/>).
/// </para>
/// <para>
/// It survives restarts through files in <c>&lt;lake&gt;/dedup/</c>, one per flush, named by the flush's log
/// position and written before the catalog commit that makes the flush count. At start only files at or below the
/// catalog's watermark are read: a file above it belongs to a flush that never committed, whose records the loader
/// reads again (and adds again). The files are merged into one when they pile up. Not thread-safe: the loader's
/// thread owns it.
/// </para>
/// </remarks>
internal sealed class DedupWindow : IDisposable
{
    public const string DirectoryName = "dedup";
    private const string Extension = ".bin";
    private const int EntryBytes = 20;
    private const int HeaderBytes = 16;
    private const int MaxFilesBeforeMerge = 32;
    private const ulong TagMask = 0xFFFF_FFFF_0000_0000;
    private static ReadOnlySpan<byte> Magic => "WEIRDDP1"u8;

    private readonly string _directory;
    private readonly int _windowHours;
    private NativeArray<Entry> _entries;
    private int _count;
    private int _latestHour;

    // Keys added since the last Persist, which the next flush's file holds.
    private Entry[] _pending = new Entry[1024];
    private int _pendingCount;

    public DedupWindow(string lakeRoot, TimeSpan window, int initialCapacity = 1 << 16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.FromHours(1));
        _directory = Path.Combine(lakeRoot, DirectoryName);
        _windowHours = (int)Math.Ceiling(window.TotalHours);
        var capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(initialCapacity, 16));
        _entries = new NativeArray<Entry>(capacity);
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
        var tag = (ulong)key & TagMask;
        ref var entry = ref _entries[Probe(high, tag)];
        if (entry.Hour != 0)
        {
            if (hour - entry.Hour <= _windowHours)
            {
                return false;
            }

            // Seen, but longer ago than the window: a new event that reuses an old id.
            entry = new Entry(high, tag, hour);
            AddPending(entry);
            return true;
        }

        entry = new Entry(high, tag, hour);
        _count++;
        AddPending(entry);
        if (_count * 10 > _entries.Length * 7)
        {
            Rebuild();
        }

        return true;
    }

    /// <summary>Starts loading the key's first slot into the cache, for a <see cref="TryAdd"/> a few keys later.</summary>
    public void Prefetch(UInt128 key) => _entries.Prefetch(SlotOf((ulong)(key >> 64)));

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
        var bytes = Serialize(_pending.AsSpan(0, _pendingCount));
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
        DurableFile.WriteAllBytes(PathOf(position), Serialize(_entries.Span));
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

    private void AddPending(Entry entry)
    {
        if (_pendingCount == _pending.Length)
        {
            Array.Resize(ref _pending, _pendingCount * 2);
        }

        _pending[_pendingCount++] = entry;
    }

    /// <summary>Drops entries outside the window, and doubles the table when it is still more than half full.</summary>
    private void Rebuild()
    {
        var oldest = _latestHour - _windowHours;
        var live = 0;
        foreach (ref readonly var entry in _entries.Span)
        {
            if (entry.Hour != 0 && entry.Hour >= oldest)
            {
                live++;
            }
        }

        var capacity = _entries.Length;
        while (live * 2 > capacity)
        {
            capacity *= 2;
        }

        Reinsert(capacity, oldest);
    }

    private void Purge() => Reinsert(_entries.Length, _latestHour - _windowHours);

    private void Reinsert(int capacity, int oldest)
    {
        using var old = _entries;
        _entries = new NativeArray<Entry>(capacity);
        _count = 0;
        foreach (ref readonly var entry in old.Span)
        {
            if (entry.Hour != 0 && entry.Hour >= oldest)
            {
                Insert(entry);
            }
        }
    }

    /// <summary>The slot holding the key, or the free slot where it belongs (linear probing).</summary>
    private int Probe(ulong high, ulong tag)
    {
        var entries = _entries.Span;
        var mask = entries.Length - 1;
        var slot = SlotOf(high);
        while (entries[slot].Hour != 0 && (entries[slot].High != high || entries[slot].Tag != tag))
        {
            slot = (slot + 1) & mask;
        }

        return slot;
    }

    private int SlotOf(ulong high) => (int)high & (_entries.Length - 1);

    /// <summary>Inserts or keeps the later hour; used when loading, where the same id may come from several files.</summary>
    private void Insert(Entry added)
    {
        if ((_count + 1) * 10 > _entries.Length * 7)
        {
            Reinsert(_entries.Length * 2, 0);
        }

        ref var entry = ref _entries[Probe(added.High, added.Tag)];
        if (entry.Hour != 0)
        {
            if (added.Hour > entry.Hour)
            {
                entry = added;
            }

            return;
        }

        entry = added;
        _count++;
    }

    /// <summary>The file for <paramref name="entries"/>, skipping free slots (hour 0).</summary>
    private static byte[] Serialize(ReadOnlySpan<Entry> entries)
    {
        var count = 0;
        foreach (ref readonly var entry in entries)
        {
            if (entry.Hour != 0)
            {
                count++;
            }
        }

        var bytes = new byte[HeaderBytes + (count * EntryBytes) + 4];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), count);
        var offset = HeaderBytes;
        foreach (ref readonly var entry in entries)
        {
            if (entry.Hour == 0)
            {
                continue;
            }

            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(offset), entry.High);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(offset + 8), entry.Tag);
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset + 16), entry.Hour);
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
            var low = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset + 8));
            Insert(new Entry(BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset)), low & TagMask, hour));
            _latestHour = Math.Max(_latestHour, hour);
        }
    }

    public void Dispose() => _entries.Dispose();

    /// <summary>
    /// A key's upper 64 bits (which also pick the slot), and in one word the next 32 bits of the key above the hour it
    /// was received (hours since the Unix epoch; 0 marks a free slot, since no real record is that old).
    /// </summary>
    private readonly record struct Entry(ulong High, ulong TagAndHour)
    {
        public Entry(ulong high, ulong tag, int hour)
            : this(high, tag | (uint)hour)
        {
        }

        public ulong Tag => TagAndHour & TagMask;

        public int Hour => (int)(uint)TagAndHour;
    }
}
