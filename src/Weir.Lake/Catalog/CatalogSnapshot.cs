using System.Collections.Immutable;
using System.Runtime.CompilerServices;

namespace Weir.Lake.Catalog;

/// <summary>
/// The whole state of the lake at one generation. Immutable, so a query plans over one snapshot while the loader and
/// compaction commit the next ones; a replaced file leaves through <see cref="PendingDeletes"/> rather than at once,
/// so the query's files stay on disk until it has finished. The schema counts and the <see cref="Watermark"/> are
/// committed together with the files, so replaying the log from the watermark after a crash counts nothing twice.
/// </summary>
public sealed record CatalogSnapshot
{
    // Keyed by the Files list rather than held in a field, so `with` (which copies fields) cannot carry a stale
    // grouping over to a snapshot with other files, and record equality is not disturbed by a cache.
    private static readonly ConditionalWeakTable<IReadOnlyList<CatalogFile>, PartitionIndex> Indexes = new();

    public static CatalogSnapshot Empty { get; } = new();

    /// <summary>One more with every commit; tells a reader whether anything changed since it last looked.</summary>
    public long Generation { get; init; }

    /// <summary>The log position below which every record is in the lake's files: where the loader resumes.</summary>
    public long Watermark { get; init; }

    public IReadOnlyList<CatalogFile> Files { get; init => field = ReadOnly.List(value, nameof(Files)); } = ImmutableArray<CatalogFile>.Empty;

    public IReadOnlyList<PendingDelete> PendingDeletes { get; init => field = ReadOnly.List(value, nameof(PendingDeletes)); } = ImmutableArray<PendingDelete>.Empty;

    /// <summary>Site id → what that site has sent.</summary>
    public IReadOnlyDictionary<string, SiteSchema> Sites { get; init => field = ReadOnly.Map(value, nameof(Sites)); } = CatalogMap<SiteSchema>.Empty;

    /// <summary>The files grouped by (site, date), ordered by site id (ordinal) and date; computed once per file list.</summary>
    public IReadOnlyList<CatalogPartition> Partitions => Index.Partitions;

    /// <summary>The files of one partition, in the order of <see cref="Files"/>; empty when there are none.</summary>
    public IReadOnlyList<CatalogFile> FilesOf(string siteId, DateOnly eventDate)
    {
        ArgumentNullException.ThrowIfNull(siteId);
        return Index.ByPartition.TryGetValue((siteId, eventDate), out var files) ? files : ImmutableArray<CatalogFile>.Empty;
    }

    private PartitionIndex Index => Indexes.GetValue(Files, static files => new PartitionIndex(files));

    private sealed class PartitionIndex
    {
        public PartitionIndex(IReadOnlyList<CatalogFile> files)
        {
            var groups = new Dictionary<(string SiteId, DateOnly EventDate), ImmutableArray<CatalogFile>.Builder>();
            foreach (var file in files)
            {
                if (!groups.TryGetValue((file.SiteId, file.EventDate), out var group))
                {
                    group = ImmutableArray.CreateBuilder<CatalogFile>();
                    groups.Add((file.SiteId, file.EventDate), group);
                }

                group.Add(file);
            }

            var byPartition = new Dictionary<(string, DateOnly), IReadOnlyList<CatalogFile>>(groups.Count);
            var partitions = new List<CatalogPartition>(groups.Count);
            foreach (var (key, group) in groups)
            {
                byPartition.Add(key, group.ToImmutable());
                long rows = 0, bytes = 0;
                DateTimeOffset min = DateTimeOffset.MaxValue, max = DateTimeOffset.MinValue;
                foreach (var file in group)
                {
                    rows += file.Rows;
                    bytes += file.Bytes;
                    min = file.MinTimestamp < min ? file.MinTimestamp : min;
                    max = file.MaxTimestamp > max ? file.MaxTimestamp : max;
                }

                partitions.Add(new CatalogPartition(key.SiteId, key.EventDate, group.Count, rows, bytes, min, max));
            }

            partitions.Sort(static (a, b) =>
            {
                var bySite = string.CompareOrdinal(a.SiteId, b.SiteId);
                return bySite != 0 ? bySite : a.EventDate.CompareTo(b.EventDate);
            });
            Partitions = partitions.ToImmutableArray();
            ByPartition = byPartition;
        }

        public IReadOnlyList<CatalogPartition> Partitions { get; }

        public Dictionary<(string, DateOnly), IReadOnlyList<CatalogFile>> ByPartition { get; }
    }
}
