using System.Reflection;

namespace Weir.Core;

/// <summary>The product version. It is set once, in Weir.Core's project file, and every component reports this one.</summary>
public static class WeirVersion
{
    /// <summary>The informational version, e.g. <c>0.1.0+&lt;commit&gt;</c> when built from a git checkout.</summary>
    public static string Current { get; } =
        typeof(WeirVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
