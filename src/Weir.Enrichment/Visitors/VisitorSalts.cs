using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

namespace Weir.Enrichment.Visitors;

/// <summary>
/// The daily salts of the cookieless visitor id, one random 128-bit key per UTC day in <c>&lt;data&gt;/salts</c>. A day's
/// salt is made when first needed and deleted once the day before yesterday has passed: it lives at most 48 hours,
/// long enough for a visit that crosses midnight, and after that nobody, not even the server, can tell whose visits
/// the day's ids were.
/// </summary>
/// <remarks>
/// Only today's and yesterday's salts (and tomorrow's, for a clock a little ahead) are written to disk. An older day's
/// events, replayed from the log after their salt is gone, get a salt that lives in memory only: their visitor ids are
/// consistent with each other but not with the ids they had before. Thread-safe.
/// </remarks>
public sealed class VisitorSalts
{
    public const string FolderName = "salts";

    private const string Extension = ".salt";
    private const int MaxEphemeral = 64;

    private readonly string _folder;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<DateOnly, Salt> _salts = [];
    private readonly Dictionary<DateOnly, Salt> _ephemeral = [];

    private VisitorSalts(string folder, TimeProvider time)
    {
        _folder = folder;
        _time = time;
    }

    /// <summary>The salts of <paramref name="dataDirectory"/>; deletes those that have expired.</summary>
    public static VisitorSalts Open(string dataDirectory, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        var folder = Path.Combine(dataDirectory, FolderName);
        Directory.CreateDirectory(folder);
        var salts = new VisitorSalts(folder, time ?? TimeProvider.System);
        salts.Prune();
        return salts;
    }

    /// <summary>The days whose salts are on disk, oldest first.</summary>
    public IReadOnlyList<DateOnly> StoredDays()
    {
        lock (_lock)
        {
            var days = new List<DateOnly>();
            foreach (var file in Directory.EnumerateFiles(_folder, "*" + Extension))
            {
                if (DayOf(file) is { } day)
                {
                    days.Add(day);
                }
            }

            days.Sort();
            return days;
        }
    }

    /// <summary>The salt of <paramref name="day"/> (UTC), made when it has none.</summary>
    public Salt For(DateOnly day)
    {
        lock (_lock)
        {
            if (_salts.TryGetValue(day, out var salt) || _ephemeral.TryGetValue(day, out salt))
            {
                return salt;
            }

            var today = Today();
            if (day < today.AddDays(-1) || day > today.AddDays(1))
            {
                if (_ephemeral.Count >= MaxEphemeral)
                {
                    _ephemeral.Clear();
                }

                salt = Salt.Random();
                _ephemeral.Add(day, salt);
                return salt;
            }

            salt = ReadOrCreate(day);
            _salts.Add(day, salt);
            PruneLocked(today);
            return salt;
        }
    }

    /// <summary>Whether <paramref name="day"/>'s salt is kept on disk (today's, yesterday's or tomorrow's), not only in memory.</summary>
    public bool IsStored(DateOnly day)
    {
        lock (_lock)
        {
            return _salts.ContainsKey(day);
        }
    }

    /// <summary>Deletes the salts of the days before yesterday, on disk and in memory.</summary>
    public void Prune()
    {
        lock (_lock)
        {
            PruneLocked(Today());
        }
    }

    private DateOnly Today() => DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);

    private void PruneLocked(DateOnly today)
    {
        var oldest = today.AddDays(-1);
        foreach (var file in Directory.EnumerateFiles(_folder, "*" + Extension))
        {
            if (DayOf(file) is { } day && day < oldest)
            {
                File.Delete(file);
            }
        }

        foreach (var day in _salts.Keys)
        {
            if (day < oldest)
            {
                _salts.Remove(day);
            }
        }
    }

    private Salt ReadOrCreate(DateOnly day)
    {
        var path = Path.Combine(_folder, day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + Extension);
        Span<byte> bytes = stackalloc byte[16];
        if (File.Exists(path))
        {
            using var file = File.OpenRead(path);
            if (file.Length == bytes.Length)
            {
                file.ReadExactly(bytes);
                return Salt.From(bytes);
            }
        }

        // Written whole, made durable, then renamed into place: a crash leaves the old file or the new one, never half
        // of one (a torn salt would change the day's ids).
        RandomNumberGenerator.Fill(bytes);
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(temporary, options))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        return Salt.From(bytes);
    }

    private static DateOnly? DayOf(string file) =>
        DateOnly.TryParseExact(Path.GetFileNameWithoutExtension(file), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;

    /// <summary>A 128-bit SipHash key.</summary>
    public readonly record struct Salt(ulong K0, ulong K1)
    {
        internal static Salt From(ReadOnlySpan<byte> bytes) =>
            new(BinaryPrimitives.ReadUInt64LittleEndian(bytes), BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]));

        internal static Salt Random()
        {
            Span<byte> bytes = stackalloc byte[16];
            RandomNumberGenerator.Fill(bytes);
            return From(bytes);
        }
    }
}
