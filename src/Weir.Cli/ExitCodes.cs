namespace Weir.Cli;

/// <summary>The <c>weir</c> command's exit codes. Scripts rely on them.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The work failed: an SQL error, an address already in use.</summary>
    public const int Failure = 1;

    /// <summary>The command line or the configuration is wrong; nothing was done.</summary>
    public const int Usage = 2;
}
