using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Weir.Enrichment.UserAgents;

/// <summary>The kind of device a user agent runs on.</summary>
public enum DeviceType
{
    Desktop,
    Mobile,
    Tablet,
}

/// <summary>What a user agent says of itself. Versions are null when it gives none.</summary>
public sealed record UserAgentInfo(string Browser, string? BrowserVersion, string Os, string? OsVersion, string DeviceFamily, DeviceType Device, bool IsSpider);

/// <summary>
/// uap-core's rules (its <c>regexes.yaml</c>, read at start), applied as its specification says: the first matching
/// rule of each list wins, a replacement's <c>$1</c>…<c>$9</c> take the rule's groups, and a missing replacement takes
/// the group in its position. A few family names are made friendlier (<c>Mobile Safari</c> → <c>Safari</c>,
/// <c>Mac OS X</c> → <c>macOS</c>; see <see cref="FriendlyNames"/>). Slow per call (hundreds of rules, interpreted):
/// callers cache by user agent.
/// </summary>
public sealed class UserAgentParser
{
    /// <summary>The names uap-core gives that reports show otherwise: the same browser on a phone is the same browser.</summary>
    private static readonly Dictionary<string, string> FriendlyNames = new(StringComparer.Ordinal)
    {
        ["Mobile Safari"] = "Safari",
        ["Mobile Safari UI/WKWebView"] = "Safari",
        ["Chrome Mobile"] = "Chrome",
        ["Chrome Mobile iOS"] = "Chrome",
        ["Chrome Mobile WebView"] = "Android WebView",
        ["Firefox Mobile"] = "Firefox",
        ["Firefox iOS"] = "Firefox",
        ["Edge Mobile"] = "Edge",
        ["Opera Mobile"] = "Opera",
        ["Mac OS X"] = "macOS",
    };

    private readonly Rule[] _browsers;
    private readonly Rule[] _systems;
    private readonly Rule[] _devices;

    private UserAgentParser(Rule[] browsers, Rule[] systems, Rule[] devices)
    {
        _browsers = browsers;
        _systems = systems;
        _devices = devices;
    }

    public int RuleCount => _browsers.Length + _systems.Length + _devices.Length;

    /// <exception cref="InvalidDataException">The file is not uap-core's rules.</exception>
    public static UserAgentParser Load(string path)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(path, Encoding.UTF8))
        {
            yaml.Load(reader);
        }

        if (yaml.Documents.Count != 1 || yaml.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new InvalidDataException($"{path} is not uap-core's regexes.yaml: it holds no mapping");
        }

        return new UserAgentParser(
            Rules(root, "user_agent_parsers", path, ["family_replacement", "v1_replacement", "v2_replacement", "v3_replacement"]),
            Rules(root, "os_parsers", path, ["os_replacement", "os_v1_replacement", "os_v2_replacement", "os_v3_replacement", "os_v4_replacement"]),
            Rules(root, "device_parsers", path, ["device_replacement", "brand_replacement", "model_replacement"]));
    }

    public UserAgentInfo Parse(string userAgent)
    {
        ArgumentNullException.ThrowIfNull(userAgent);
        string browser = "Other", os = "Other", device = "Other";
        string? browserVersion = null, osVersion = null;
        if (First(_browsers, userAgent) is var (rule, match) && rule is not null)
        {
            browser = Field(rule, match, 0, 1) ?? "Other";
            browserVersion = Version(rule, match, 1, 3);
        }

        if (First(_systems, userAgent) is var (osRule, osMatch) && osRule is not null)
        {
            os = Field(osRule, osMatch, 0, 1) ?? "Other";
            osVersion = Version(osRule, osMatch, 1, 4);
        }

        if (First(_devices, userAgent) is var (deviceRule, deviceMatch) && deviceRule is not null)
        {
            device = Field(deviceRule, deviceMatch, 0, 1) ?? "Other";
        }

        return new UserAgentInfo(Friendly(browser), browserVersion, Friendly(os), osVersion, device,
            DeviceOf(userAgent, os, device), device == "Spider");
    }

    private static string Friendly(string name) => FriendlyNames.GetValueOrDefault(name, name);

    /// <summary>
    /// Tablets by their device family or an Android without "Mobile" (Android's own rule for tablets); phones by the
    /// usual tokens; everything else is a desktop.
    /// </summary>
    private static DeviceType DeviceOf(string userAgent, string os, string device)
    {
        if (device.StartsWith("iPad", StringComparison.Ordinal) || device.Contains("Tablet", StringComparison.OrdinalIgnoreCase)
            || device.StartsWith("Kindle", StringComparison.Ordinal)
            || userAgent.Contains("Tablet", StringComparison.OrdinalIgnoreCase)
            || (os == "Android" && !userAgent.Contains("Mobile", StringComparison.Ordinal)))
        {
            return DeviceType.Tablet;
        }

        if (os is "iOS" or "Android" or "Windows Phone" or "BlackBerry OS" or "KaiOS" || userAgent.Contains("Mobile", StringComparison.Ordinal)
            || device.StartsWith("iPhone", StringComparison.Ordinal) || device == "Generic Smartphone" || device == "Generic Feature Phone")
        {
            return DeviceType.Mobile;
        }

        return DeviceType.Desktop;
    }

    private static (Rule? Rule, Match Match) First(Rule[] rules, string userAgent)
    {
        foreach (var rule in rules)
        {
            Match match;
            try
            {
                match = rule.Regex.Match(userAgent);
            }
            catch (RegexMatchTimeoutException)
            {
                // A crafted user agent that makes one rule backtrack for long is not that rule's.
                continue;
            }

            if (match.Success)
            {
                return (rule, match);
            }
        }

        return (null, Match.Empty);
    }

    /// <summary>A rule's <paramref name="field"/>: its replacement with the groups put in, else group <paramref name="group"/>; null when empty.</summary>
    private static string? Field(Rule rule, Match match, int field, int group)
    {
        string? value;
        if (rule.Replacements[field] is { } replacement)
        {
            value = replacement.Contains('$', StringComparison.Ordinal) ? Substitute(replacement, match) : replacement;
        }
        else
        {
            value = group < match.Groups.Count && match.Groups[group].Success ? match.Groups[group].Value : null;
        }

        value = value?.Trim();
        return string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>Fields <paramref name="first"/> to <paramref name="last"/> (groups one further) joined by dots, up to the first missing one.</summary>
    private static string? Version(Rule rule, Match match, int first, int last)
    {
        string? version = null;
        for (var field = first; field <= last && field < rule.Replacements.Length; field++)
        {
            if (Field(rule, match, field, field + 1) is not { } part)
            {
                break;
            }

            version = version is null ? part : version + "." + part;
        }

        return version;
    }

    private static string Substitute(string replacement, Match match)
    {
        var text = new StringBuilder(replacement.Length + 16);
        for (var i = 0; i < replacement.Length; i++)
        {
            if (replacement[i] == '$' && i + 1 < replacement.Length && char.IsAsciiDigit(replacement[i + 1]))
            {
                var group = replacement[++i] - '0';
                if (group < match.Groups.Count && match.Groups[group].Success)
                {
                    text.Append(match.Groups[group].Value);
                }
            }
            else
            {
                text.Append(replacement[i]);
            }
        }

        return text.ToString();
    }

    private static Rule[] Rules(YamlMappingNode root, string list, string path, string[] replacementKeys)
    {
        if (!root.Children.TryGetValue(new YamlScalarNode(list), out var node) || node is not YamlSequenceNode items)
        {
            throw new InvalidDataException($"{path} has no list '{list}'");
        }

        var rules = new List<Rule>(items.Children.Count);
        foreach (var item in items)
        {
            if (item is not YamlMappingNode entry || !entry.Children.TryGetValue(new YamlScalarNode("regex"), out var regex) || regex is not YamlScalarNode { Value: { } pattern })
            {
                throw new InvalidDataException($"{path}: an entry of '{list}' has no regex (line {item.Start.Line})");
            }

            var options = RegexOptions.CultureInvariant;
            if (entry.Children.TryGetValue(new YamlScalarNode("regex_flag"), out var flag) && flag is YamlScalarNode { Value: "i" })
            {
                options |= RegexOptions.IgnoreCase;
            }

            var replacements = new string?[replacementKeys.Length];
            for (var i = 0; i < replacementKeys.Length; i++)
            {
                replacements[i] = entry.Children.TryGetValue(new YamlScalarNode(replacementKeys[i]), out var value) && value is YamlScalarNode scalar ? scalar.Value : null;
            }

            rules.Add(new Rule(new Regex(pattern, options, TimeSpan.FromMilliseconds(100)), replacements));
        }

        return [.. rules];
    }

    private sealed record Rule(Regex Regex, string?[] Replacements);
}
