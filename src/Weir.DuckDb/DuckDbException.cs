namespace Weir.DuckDb;

/// <summary>A DuckDB call failed. The message is DuckDB's own, prefixed with what Weir was doing.</summary>
public class DuckDbException : Exception
{
    public DuckDbException(string message) : base(message)
    {
    }

    public DuckDbException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public DuckDbException()
    {
    }
}

/// <summary>A query ran past its time limit and was interrupted.</summary>
public sealed class DuckDbTimeoutException : DuckDbException
{
    public DuckDbTimeoutException(string message, TimeSpan timeout) : base(message) => Timeout = timeout;

    public DuckDbTimeoutException()
    {
    }

    public DuckDbTimeoutException(string message) : base(message)
    {
    }

    public DuckDbTimeoutException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public TimeSpan Timeout { get; }
}
