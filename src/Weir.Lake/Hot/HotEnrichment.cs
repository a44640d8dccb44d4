using System.Text.Unicode;

namespace Weir.Lake.Hot;

/// <summary>
/// The seam where the loader's enrichment (visitor id, referrer and UTM source, geo, user agent, bots) fills the
/// columns no record carries. <see cref="HotRowWriter"/> calls it once per row, before the row is started, with the
/// decoded record (including <c>ip</c> and <c>user_agent</c>, which are read here and never stored); a column it leaves
/// unset is NULL.
/// </summary>
public interface IHotRowEnricher
{
    /// <summary>
    /// Fills what it can of <paramref name="columns"/> (cleared beforehand) from <paramref name="record"/>. Runs on the
    /// loader's hot path: it must not allocate per record. An exception leaves no row behind.
    /// </summary>
    void Enrich(in DecodedRecord record, HotEnrichment columns);
}

/// <summary>The text columns the loader's enrichment fills one by one (the hot table's columns of the same snake_case names).</summary>
/// <remarks>
/// The user agent's, the origin's and the place's columns are set together as a <see cref="HotDimensionEntry"/>
/// (<see cref="HotEnrichment.Agent"/>, <see cref="HotEnrichment.Origin"/>, <see cref="HotEnrichment.Place"/>), and the
/// visitor id as <see cref="HotEnrichment.VisitorHash"/>.
/// </remarks>
public enum EnrichmentColumn
{
    SessionId,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    UtmTerm,
    UtmContent,
}

/// <summary>
/// One row's enrichment values, reused from row to row: text is copied into one buffer that grows to the largest
/// row seen and is then reused, and the interned dimensions are references, so enrichment needs no allocation per
/// record.
/// </summary>
public sealed class HotEnrichment
{
    internal const int TextCount = (int)EnrichmentColumn.UtmContent + 1;

    /// <summary>The text columns' names, in <see cref="EnrichmentColumn"/> order.</summary>
    internal static readonly string[] ColumnNames = ["session_id", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];

    private readonly int[] _start = new int[TextCount];
    private readonly int[] _length = new int[TextCount];
    private readonly HotDimensionEntry?[] _entries = new HotDimensionEntry?[3];
    private byte[] _buffer = new byte[1024];
    private int _used;
    private uint _present;

    /// <param name="dimensions">Where <see cref="Agent"/>, <see cref="Origin"/> and <see cref="Place"/> entries come from.</param>
    public HotEnrichment(HotDimensions dimensions)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        Dimensions = dimensions;
    }

    /// <summary>The interned values of the hot table this row goes to; an enricher caches the entries it gets here.</summary>
    public HotDimensions Dimensions { get; }

    /// <summary>The user agent's columns and <c>is_bot</c>; null leaves them NULL.</summary>
    public HotDimensionEntry? Agent
    {
        get => _entries[(int)HotDimension.Agent];
        set => _entries[(int)HotDimension.Agent] = Checked(value, HotDimension.Agent);
    }

    /// <summary><c>referrer_host</c> and <c>source</c>; null leaves them NULL.</summary>
    public HotDimensionEntry? Origin
    {
        get => _entries[(int)HotDimension.Origin];
        set => _entries[(int)HotDimension.Origin] = Checked(value, HotDimension.Origin);
    }

    /// <summary><c>country</c>, <c>region</c> and <c>city</c>; null leaves them NULL.</summary>
    public HotDimensionEntry? Place
    {
        get => _entries[(int)HotDimension.Place];
        set => _entries[(int)HotDimension.Place] = Checked(value, HotDimension.Place);
    }

    /// <summary>The visitor id as a 64-bit hash (shown as 16 hex digits); null leaves it NULL.</summary>
    public ulong? VisitorHash { get; set; }

    /// <summary>Sets a text column to a copy of <paramref name="utf8"/>, which must be valid UTF-8.</summary>
    public void Set(EnrichmentColumn column, ReadOnlySpan<byte> utf8)
    {
        var i = (int)column;
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)i, (uint)TextCount, nameof(column));
        // Checked here, before the row starts, so an enricher's bad bytes cannot fail the row half-way.
        if (!Utf8.IsValid(utf8))
        {
            throw new ArgumentException($"The value for {ColumnNames[i]} is not valid UTF-8.", nameof(utf8));
        }

        if (_buffer.Length - _used < utf8.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _used + utf8.Length));
        }

        utf8.CopyTo(_buffer.AsSpan(_used));
        _start[i] = _used;
        _length[i] = utf8.Length;
        _used += utf8.Length;
        _present |= 1u << i;
    }

    /// <summary>Whether a text column has been set since the last <see cref="Clear"/>.</summary>
    public bool Has(EnrichmentColumn column) => (_present & (1u << (int)column)) != 0;

    /// <summary>Unsets every column.</summary>
    public void Clear()
    {
        _present = 0;
        _used = 0;
        _entries.AsSpan().Clear();
        VisitorHash = null;
    }

    internal bool TryGet(int column, out ReadOnlySpan<byte> utf8)
    {
        if ((_present & (1u << column)) == 0)
        {
            utf8 = default;
            return false;
        }

        utf8 = _buffer.AsSpan(_start[column], _length[column]);
        return true;
    }

    internal HotDimensionEntry? Entry(int dimension) => _entries[dimension];

    private HotDimensionEntry? Checked(HotDimensionEntry? entry, HotDimension dimension)
    {
        if (entry is null)
        {
            return null;
        }

        // An entry of another registry would point at another database's ids.
        if (!ReferenceEquals(entry.Owner, Dimensions) || entry.Dimension != dimension)
        {
            throw new ArgumentException($"The entry is a {entry.Dimension} of another hot table's dimensions; get it from this row's {nameof(Dimensions)}.", nameof(entry));
        }

        return entry;
    }
}
