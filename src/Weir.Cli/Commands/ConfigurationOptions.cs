using System.CommandLine;
using Weir.Core.Configuration;

namespace Weir.Cli.Commands;

/// <summary>
/// The configuration flags. They are read as raw strings and validated by <see cref="WeirConfiguration"/>, which
/// reports a bad flag, variable or file key in the same way and with exit code 2.
/// </summary>
internal static class ConfigurationOptions
{
    public static Option<string?> Data() => new("--data")
    {
        Description = $"The data folder. Default: ${WeirEnvironment.DataDirectory}, else ./{WeirConfiguration.DefaultDataDirectory}.",
        HelpName = "dir",
    };

    public static Option<string?> Urls() => new("--urls")
    {
        Description = $"Addresses to listen on, separated by ';'. Default: ${WeirEnvironment.Urls}, else urls in weir.json, else {WeirConfiguration.DefaultUrls}.",
        HelpName = "url",
    };

    public static Option<string?> LogFormat() => new("--log-format")
    {
        Description = $"Console log format. Default: ${WeirEnvironment.LogFormat}, else logFormat in weir.json, else text.",
        HelpName = "text|json",
    };

    public static Option<string?> LogLevel() => new("--log-level")
    {
        Description = $"Least severe level logged. Default: ${WeirEnvironment.LogLevel}, else logLevel in weir.json, else Information.",
        HelpName = string.Join('|', Enum.GetNames<WeirLogLevel>()),
    };
}
