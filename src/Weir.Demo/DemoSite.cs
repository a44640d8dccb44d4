using Weir.Core.Sites;

namespace Weir.Demo;

/// <summary>The demo's site in a data folder's site store.</summary>
public static class DemoSite
{
    public const string Domain = "demo.example";

    public const string Timezone = "Europe/Berlin";

    /// <summary>The site of <see cref="Domain"/> in <paramref name="dataDirectory"/>, added when there is none.</summary>
    /// <returns>The site, and whether this call added it.</returns>
    public static (Site Site, bool Created) Ensure(string dataDirectory, TimeProvider? time = null)
    {
        var store = SiteStore.Open(dataDirectory, time);
        foreach (var site in store.All)
        {
            if (string.Equals(site.Domain, Domain, StringComparison.OrdinalIgnoreCase))
            {
                return (site, false);
            }
        }

        return (store.Add(Domain, Timezone), true);
    }
}
