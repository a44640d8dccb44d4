using System.Text.Json;
using System.Text.Json.Serialization;
using Weir.Core.IO;

namespace Weir.Lake.Catalog;

/// <summary>
/// The lake's catalog in <c>&lt;lake&gt;/catalog.json</c>: the one source of truth for which files make up the lake,
/// how far the loader has got and what each site has sent. Readers take <see cref="Current"/> without locking (every
/// query plans from it); writers go through <see cref="Commit"/>, which writes the file durably before anyone can see
/// the new snapshot, so nothing a reader acts on can be lost by a crash.
/// </summary>
public sealed class CatalogStore
{
    public const string FileName = "catalog.json";

    /// <summary>The version of the file's layout; a file of a later format is refused rather than misread.</summary>
    public const int Format = 1;

    private readonly string _lakeRoot;
    private readonly Lock _commitGate = new();
    private CatalogSnapshot _current;

    private CatalogStore(string lakeRoot, string filePath, CatalogSnapshot current)
    {
        _lakeRoot = lakeRoot;
        FilePath = filePath;
        _current = current;
    }

    public string FilePath { get; }

    /// <summary>The last committed snapshot.</summary>
    public CatalogSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Loads the catalog of a lake; a lake without one is empty, at generation 0.</summary>
    /// <exception cref="InvalidDataException">
    /// The file exists but cannot be read or is not a catalog this version understands. The catalog is never reset
    /// silently: an empty one would forget every file in the lake and make the loader start over from the log.
    /// </exception>
    public static CatalogStore Open(string lakeRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(lakeRoot);
        var root = Path.GetFullPath(lakeRoot);
        var path = Path.Combine(root, FileName);
        return new CatalogStore(root, path, Load(path));
    }

    /// <summary>
    /// Applies a change to the current snapshot, gives the result the next generation, writes it durably and only
    /// then publishes it. Commits are serialized, so <paramref name="change"/> always sees the latest snapshot; it
    /// runs under the lock and should only compute. A change that breaks the catalog's rules (a path listed twice,
    /// a watermark moving backwards) is refused with <see cref="InvalidOperationException"/> before anything is written.
    /// </summary>
    /// <remarks>
    /// When this throws, <see cref="Current"/> is still the old snapshot. If the write failed after the rename (while
    /// flushing the directory), the file may hold the new snapshot until the next commit overwrites it, so a caller
    /// must treat a failed commit as "not known to have happened": retry it, or restart and reload.
    /// </remarks>
    public CatalogSnapshot Commit(Func<CatalogSnapshot, CatalogSnapshot> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_commitGate)
        {
            var current = _current;
            var changed = change(current) ?? throw new InvalidOperationException("The catalog change returned no snapshot.");
            var next = changed with { Generation = current.Generation + 1 };
            if (next.Watermark < current.Watermark)
            {
                throw new InvalidOperationException(
                    $"The catalog change was refused: the watermark would move back from {current.Watermark} to {next.Watermark}, and the loader would load those records twice.");
            }

            if (CatalogRules.FindProblem(next) is { } problem)
            {
                throw new InvalidOperationException($"The catalog change was refused: {problem}.");
            }

            var bytes = JsonSerializer.SerializeToUtf8Bytes(CatalogDocument.From(next), CatalogJsonContext.Default.CatalogDocument);
            EnsureLakeRoot();
            DurableFile.WriteAllBytes(FilePath, bytes);
            Volatile.Write(ref _current, next);
            return next;
        }
    }

    private void EnsureLakeRoot()
    {
        if (Directory.Exists(_lakeRoot))
        {
            return;
        }

        Directory.CreateDirectory(_lakeRoot);
        if (Path.GetDirectoryName(_lakeRoot) is { } parent)
        {
            DurableFile.SyncDirectory(parent);
        }
    }

    private static CatalogSnapshot Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return CatalogSnapshot.Empty;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Invalid(path, $"it could not be read ({ex.Message})", ex);
        }

        CatalogFormatProbe? probe;
        try
        {
            probe = JsonSerializer.Deserialize(bytes, CatalogJsonContext.Default.CatalogFormatProbe);
        }
        catch (JsonException ex)
        {
            throw Invalid(path, $"it is not valid catalog JSON ({ex.Message})", ex);
        }

        switch (probe?.Format)
        {
            case null:
                throw Invalid(path, "it has no \"format\" field, so it is not a catalog Weir wrote", null);
            case > Format:
                throw Invalid(path, $"it is in catalog format {probe.Format}, written by a newer version of Weir; this version reads format {Format} only. Run the newer version", null);
            case < 1:
                throw Invalid(path, $"it declares catalog format {probe.Format}, which does not exist", null);
        }

        CatalogSnapshot snapshot;
        try
        {
            var document = JsonSerializer.Deserialize(bytes, CatalogJsonContext.Default.CatalogDocument)
                ?? throw Invalid(path, "it holds no catalog", null);
            snapshot = document.ToSnapshot();
        }
        catch (JsonException ex)
        {
            throw Invalid(path, $"it does not match catalog format {Format} ({ex.Message})", ex);
        }

        return CatalogRules.FindProblem(snapshot) is { } problem ? throw Invalid(path, problem, null) : snapshot;
    }

    private static InvalidDataException Invalid(string path, string problem, Exception? inner) =>
        new($"The lake catalog '{path}' cannot be loaded: {problem}. Weir will not start over with an empty catalog, which would forget every file in the lake; restore the file or repair it.", inner);
}

/// <summary>The file's layout: the snapshot with the format number in front.</summary>
internal sealed class CatalogDocument
{
    public required int Format { get; init; }

    public required long Generation { get; init; }

    public required long Watermark { get; init; }

    public required IReadOnlyList<CatalogFile> Files { get; init; }

    public required IReadOnlyList<PendingDelete> PendingDeletes { get; init; }

    public required IReadOnlyDictionary<string, SiteSchema> Sites { get; init; }

    public static CatalogDocument From(CatalogSnapshot snapshot) => new()
    {
        Format = CatalogStore.Format,
        Generation = snapshot.Generation,
        Watermark = snapshot.Watermark,
        Files = snapshot.Files,
        PendingDeletes = snapshot.PendingDeletes,
        Sites = snapshot.Sites,
    };

    public CatalogSnapshot ToSnapshot() => new()
    {
        Generation = Generation,
        Watermark = Watermark,
        Files = Files,
        PendingDeletes = PendingDeletes,
        Sites = Sites,
    };
}

/// <summary>Reads only the format number, so a future layout is refused by its number rather than by a parse error.</summary>
internal sealed class CatalogFormatProbe
{
    public int? Format { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(CatalogDocument))]
[JsonSerializable(typeof(CatalogFormatProbe))]
internal sealed partial class CatalogJsonContext : JsonSerializerContext;
