using Weir.Core.Configuration;

namespace Weir.Cli.Commands;

internal static class ErrorOutput
{
    /// <summary>One line per problem, each naming the setting; no stack trace, as none of it is a bug.</summary>
    public static void WriteConfigurationErrors(TextWriter error, WeirConfigurationException exception)
    {
        foreach (var problem in exception.Errors)
        {
            error.WriteLine($"weir: {problem}");
        }
    }
}
