namespace Weir.Core.Configuration;

/// <summary>One bad setting: <see cref="Setting"/> names it as the user wrote it, where they wrote it.</summary>
/// <param name="Setting">The flag (<c>--urls</c>), variable (<c>WEIR_URLS</c>) or file key (<c>/data/weir.json: urls</c>).</param>
/// <param name="Message">What is wrong with the value.</param>
public sealed record ConfigurationError(string Setting, string Message)
{
    public override string ToString() => $"{Setting}: {Message}";
}

/// <summary>
/// The configuration could not be used. The message lists every problem found, one per line, each naming the
/// setting and where it came from, so that it can be shown to the user as it is.
/// </summary>
public sealed class WeirConfigurationException : Exception
{
    public WeirConfigurationException(IReadOnlyList<ConfigurationError> errors)
        : base(string.Join(Environment.NewLine, errors ?? throw new ArgumentNullException(nameof(errors))))
    {
        Errors = errors;
    }

    public WeirConfigurationException()
        : this("The configuration is not valid.")
    {
    }

    public WeirConfigurationException(string message)
        : base(message)
    {
        Errors = [new ConfigurationError("configuration", message)];
    }

    public WeirConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new ConfigurationError("configuration", message)];
    }

    public IReadOnlyList<ConfigurationError> Errors { get; }
}
