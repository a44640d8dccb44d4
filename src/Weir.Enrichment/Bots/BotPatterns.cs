using System.Text.Json;
using System.Text.RegularExpressions;

namespace Weir.Enrichment.Bots;

/// <summary>
/// The isbot package's patterns (bots, crawlers, monitors, headless browsers, HTTP libraries), joined into one
/// case-insensitive expression as isbot itself joins them. An empty user agent is a bot too: browsers always send one.
/// </summary>
public sealed class BotPatterns
{
    private readonly Regex _pattern;

    private BotPatterns(Regex pattern, int count)
    {
        _pattern = pattern;
        Count = count;
    }

    public int Count { get; }

    /// <exception cref="InvalidDataException">The file is not a JSON list of patterns.</exception>
    public static BotPatterns Load(string path)
    {
        string[]? list;
        try
        {
            list = JsonSerializer.Deserialize(File.ReadAllBytes(path), EnrichmentJsonContext.Default.StringArray);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a JSON list of patterns: {e.Message}", e);
        }

        if (list is not { Length: > 0 })
        {
            throw new InvalidDataException($"{path} holds no patterns");
        }

        return new BotPatterns(new Regex(string.Join('|', list), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)), list.Length);
    }

    public bool IsBot(string userAgent)
    {
        ArgumentNullException.ThrowIfNull(userAgent);
        if (userAgent.Length == 0)
        {
            return true;
        }

        try
        {
            return _pattern.IsMatch(userAgent);
        }
        catch (RegexMatchTimeoutException)
        {
            // Only a crafted user agent takes that long; no browser sends one.
            return true;
        }
    }
}
