using System.Text.Unicode;

namespace Weir.Lake.Hot;

/// <summary>
/// The seam where the loader's enrichment (visitor and session ids, referrer and UTM source, geo, user agent, bots)
/// will fill the columns no record carries. <see cref="HotRowWriter"/> calls it once per row, before the row is
/// started, with the decoded record (including <c>ip</c> and <c>user_agent</c>, which are read here and never
/// stored); a column it leaves unset is NULL. Until enrichment exists, the writer has no enricher and those columns
/// are NULL.
/// </summary>
public interface IHotRowEnricher
{
    /// <summary>
    /// Fills what it can of <paramref name="columns"/> (cleared beforehand) from <paramref name="record"/>. Runs on the
    /// loader's hot path: it must not allocate per record. An exception leaves no row behind.
    /// </summary>
    void Enrich(in DecodedRecord record, HotEnrichment columns);
}

/// <summary>The text columns the loader's enrichment fills (the hot table's columns of the same snake_case names).</summary>
public enum EnrichmentColumn
{
    VisitorId,
    SessionId,
    ReferrerHost,
    Source,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    UtmTerm,
    UtmContent,
    Country,
    Region,
    City,
    Browser,
    BrowserVersion,
    Os,
    OsVersion,
    DeviceType,
}

/// <summary>
/// One row's enrichment values, reused from row to row: text is copied into one buffer that grows to the largest
/// row seen and is then reused, so enrichment needs no allocation per record.
/// </summary>
public sealed class HotEnrichment
{
    internal const int TextCount = (int)EnrichmentColumn.DeviceType + 1;

    /// <summary>The column names, in <see cref="EnrichmentColumn"/> order, followed by <c>is_bot</c>.</summary>
    internal static readonly string[] ColumnNames =
    [
        "visitor_id", "session_id", "referrer_host", "source", "utm_source", "utm_medium", "utm_campaign", "utm_term",
        "utm_content", "country", "region", "city", "browser", "browser_version", "os", "os_version", "device_type",
        "is_bot",
    ];

    private readonly int[] _start = new int[TextCount];
    private readonly int[] _length = new int[TextCount];
    private byte[] _buffer = new byte[1024];
    private int _used;
    private uint _present;

    /// <summary>The <c>is_bot</c> column; null leaves it NULL.</summary>
    public bool? IsBot { get; set; }

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
        IsBot = null;
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
}
