namespace Weir.Query;

/// <summary>A report request (stats, funnel, retention) that cannot be answered as given: <see cref="Field"/> names the part at fault.</summary>
public sealed class QueryRequestException : Exception
{
    public QueryRequestException(string field, string message)
        : base(message) => Field = field;

    public QueryRequestException()
        : this("", "The query is not valid.")
    {
    }

    public QueryRequestException(string message)
        : this("", message)
    {
    }

    public QueryRequestException(string message, Exception innerException)
        : base(message, innerException) => Field = "";

    /// <summary>The path of the field at fault, e.g. <c>filters[0][1]</c>; empty for the whole body.</summary>
    public string Field { get; }
}
