namespace Weir.Ingest.Internal;

/// <summary>Splits a URL into host, path and query without allocating (no validation beyond the shape).</summary>
internal static class UrlParts
{
    /// <summary>
    /// <paramref name="host"/> is the authority without user info and port (as written; the caller lower-cases it),
    /// <paramref name="path"/> the path (<c>/</c> when a host has none), <paramref name="query"/> the query without
    /// <c>?</c>. The fragment is dropped. A URL without <c>scheme://</c> or <c>//</c> is taken as a relative path.
    /// </summary>
    public static void Split(
        ReadOnlySpan<byte> url,
        out ReadOnlySpan<byte> host,
        out ReadOnlySpan<byte> path,
        out ReadOnlySpan<byte> query)
    {
        host = default;
        var hash = url.IndexOf((byte)'#');
        if (hash >= 0)
        {
            url = url[..hash];
        }

        var rest = url;
        var authorityStart = -1;
        var schemeEnd = url.IndexOf("://"u8);
        if (schemeEnd > 0 && IsScheme(url[..schemeEnd]))
        {
            authorityStart = schemeEnd + 3;
        }
        else if (url.StartsWith("//"u8))
        {
            authorityStart = 2;
        }

        if (authorityStart >= 0)
        {
            var afterScheme = url[authorityStart..];
            var end = afterScheme.IndexOfAny((byte)'/', (byte)'?');
            var authority = end < 0 ? afterScheme : afterScheme[..end];
            rest = end < 0 ? default : afterScheme[end..];
            var at = authority.LastIndexOf((byte)'@');
            if (at >= 0)
            {
                authority = authority[(at + 1)..];
            }

            if (authority.StartsWith("["u8))
            {
                var close = authority.IndexOf((byte)']');
                host = close < 0 ? authority : authority[..(close + 1)];
            }
            else
            {
                var colon = authority.IndexOf((byte)':');
                host = colon < 0 ? authority : authority[..colon];
            }
        }

        var question = rest.IndexOf((byte)'?');
        path = question < 0 ? rest : rest[..question];
        query = question < 0 ? default : rest[(question + 1)..];
        if (path.IsEmpty && !host.IsEmpty)
        {
            path = "/"u8;
        }
    }

    private static bool IsScheme(ReadOnlySpan<byte> scheme)
    {
        if (!char.IsAsciiLetter((char)scheme[0]))
        {
            return false;
        }

        foreach (var b in scheme)
        {
            if (!char.IsAsciiLetterOrDigit((char)b) && b != '+' && b != '-' && b != '.')
            {
                return false;
            }
        }

        return true;
    }
}
