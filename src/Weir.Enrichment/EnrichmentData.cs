using Weir.Enrichment.Bots;
using Weir.Enrichment.Geo;
using Weir.Enrichment.Referrers;
using Weir.Enrichment.UserAgents;

namespace Weir.Enrichment;

/// <summary>
/// The enrichment's data, read at start from the <c>enrichment</c> folder the build puts next to the assemblies (see
/// Weir.Enrichment.csproj and docs/enrichment.md for where each file comes from, and its licence).
/// </summary>
public sealed class EnrichmentData
{
    private static readonly Lazy<EnrichmentData> Bundled = new(() => Load(DefaultFolder), LazyThreadSafetyMode.ExecutionAndPublication);

    private EnrichmentData(UserAgentParser userAgents, BotPatterns bots, IpCountries countries, ReferrerSources referrers)
    {
        UserAgents = userAgents;
        Bots = bots;
        Countries = countries;
        Referrers = referrers;
    }

    /// <summary>Where the build copies the data: <c>enrichment</c> beside the assemblies.</summary>
    public static string DefaultFolder => Path.Combine(AppContext.BaseDirectory, "enrichment");

    /// <summary>The data of <see cref="DefaultFolder"/>, read once per process (about a second: the IP ranges are most of it).</summary>
    public static EnrichmentData Default => Bundled.Value;

    public UserAgentParser UserAgents { get; }

    public BotPatterns Bots { get; }

    public IpCountries Countries { get; }

    public ReferrerSources Referrers { get; }

    /// <exception cref="FileNotFoundException">A file is missing (the build copies them from node_modules: run npm ci).</exception>
    /// <exception cref="InvalidDataException">A file is not what it should be.</exception>
    public static EnrichmentData Load(string folder)
    {
        string File(string name)
        {
            var path = Path.Combine(folder, name);
            return System.IO.File.Exists(path)
                ? path
                : throw new FileNotFoundException($"The enrichment data file {path} is missing; the build copies it from node_modules (run 'npm ci' and build again).", path);
        }

        return new EnrichmentData(
            UserAgentParser.Load(File("uap-core-regexes.yaml")),
            BotPatterns.Load(File("isbot-patterns.json")),
            IpCountries.Load(File("dbip-country-ipv4-num.csv"), File("dbip-country-ipv6-num.csv")),
            ReferrerSources.Load(File("referers.json")));
    }
}
