namespace Weir.Core.Configuration;

/// <summary>
/// The configuration flags as the user typed them, before validation; null where a flag was not given.
/// Keeping them raw lets <see cref="WeirConfiguration"/> report every bad value the same way, naming the flag.
/// </summary>
public sealed record CommandLineSettings
{
    /// <summary><c>--data</c></summary>
    public string? DataDirectory { get; init; }

    /// <summary><c>--urls</c>, one URL or several separated by semicolons.</summary>
    public string? Urls { get; init; }

    /// <summary><c>--log-format</c></summary>
    public string? LogFormat { get; init; }

    /// <summary><c>--log-level</c></summary>
    public string? LogLevel { get; init; }
}
