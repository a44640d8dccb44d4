namespace Weir.Ingest.Internal;

/// <summary>
/// Values picked out of <c>properties</c> (page fields) or <c>context</c> while they are scanned. Spans point into
/// the body, or into the scratch arena when the JSON string was escaped. Empty means absent.
/// </summary>
internal ref struct Captured
{
    public ReadOnlySpan<byte> Url;
    public ReadOnlySpan<byte> Path;
    public ReadOnlySpan<byte> Search;
    public ReadOnlySpan<byte> Title;
    public ReadOnlySpan<byte> Referrer;
    public ReadOnlySpan<byte> Name;
    public ReadOnlySpan<byte> UserAgent;
    public ReadOnlySpan<byte> Ip;
    public ReadOnlySpan<byte> Locale;
    public ReadOnlySpan<byte> LibraryName;
    public ReadOnlySpan<byte> LibraryVersion;
    public int ScreenWidth;
    public int ScreenHeight;

    /// <summary>The object scanned had a top-level <c>ip</c> key (of any type), which the record moves out.</summary>
    public bool HasIp;

    /// <summary>The raw JSON object that was scanned; empty when absent or null.</summary>
    public ReadOnlySpan<byte> Raw;

    /// <summary>Fills what this lacks from <paramref name="fallback"/> (an item's context from the batch's).</summary>
    public void FillFrom(scoped in Captured fallback)
    {
        if (Url.IsEmpty)
        {
            Url = fallback.Url;
        }

        if (Path.IsEmpty)
        {
            Path = fallback.Path;
        }

        if (Search.IsEmpty)
        {
            Search = fallback.Search;
        }

        if (Title.IsEmpty)
        {
            Title = fallback.Title;
        }

        if (Referrer.IsEmpty)
        {
            Referrer = fallback.Referrer;
        }

        if (UserAgent.IsEmpty)
        {
            UserAgent = fallback.UserAgent;
        }

        if (Ip.IsEmpty)
        {
            Ip = fallback.Ip;
        }

        if (Locale.IsEmpty)
        {
            Locale = fallback.Locale;
        }

        if (LibraryName.IsEmpty)
        {
            LibraryName = fallback.LibraryName;
            LibraryVersion = fallback.LibraryVersion;
        }

        if (ScreenWidth == 0 && ScreenHeight == 0)
        {
            ScreenWidth = fallback.ScreenWidth;
            ScreenHeight = fallback.ScreenHeight;
        }
    }
}
