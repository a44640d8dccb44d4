using Weir.Core.Configuration;

namespace Weir.Server.Tests;

internal static class TestConfiguration
{
    /// <summary>
    /// Weir's options as <c>weir serve</c> would load them for <paramref name="dataDirectory"/>, with
    /// <paramref name="file"/> written to its <c>weir.json</c> first and no variables but <paramref name="environment"/>.
    /// </summary>
    public static WeirOptions Load(string dataDirectory, Dictionary<string, string?>? environment = null, string? file = null)
    {
        if (file is not null)
        {
            File.WriteAllText(Path.Combine(dataDirectory, WeirConfiguration.FileName), file);
        }

        var env = environment ?? [];
        env[WeirEnvironment.DataDirectory] = dataDirectory;
        return WeirConfiguration.Load(new CommandLineSettings(), env);
    }
}
