using System.Text;

namespace Weir.Lake.Loading;

/// <summary>
/// Site ids as strings for the UTF-8 ids the decoder hands out, made once per site: the schema accumulator keys its
/// tallies by string, and the loader must not allocate one per event.
/// </summary>
internal sealed class SiteIdCache
{
    private readonly Dictionary<string, string> _byText = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private char[] _chars = new char[64];
    private string? _last;

    public SiteIdCache() => _lookup = _byText.GetAlternateLookup<ReadOnlySpan<char>>();

    public string Get(ReadOnlySpan<byte> utf8)
    {
        // Most batches hold one site's events after another's: check the last one before transcoding.
        if (_last is not null && Ascii.Equals(utf8, _last))
        {
            return _last;
        }

        if (_chars.Length < utf8.Length)
        {
            _chars = new char[utf8.Length * 2];
        }

        var length = Encoding.UTF8.GetChars(utf8, _chars);
        var text = _chars.AsSpan(0, length);
        if (!_lookup.TryGetValue(text, out var site))
        {
            site = text.ToString();
            _byText.Add(site, site);
        }

        _last = site;
        return site;
    }
}
