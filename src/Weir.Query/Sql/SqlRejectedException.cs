namespace Weir.Query.Sql;

/// <summary>The sandbox refused a query before running it; the message says why, for the person who wrote it.</summary>
public sealed class SqlRejectedException : Exception
{
    public SqlRejectedException(string message) : base(message)
    {
    }

    public SqlRejectedException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public SqlRejectedException()
    {
    }
}
