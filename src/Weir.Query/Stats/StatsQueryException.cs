namespace Weir.Query.Stats;

/// <summary>A report request that cannot be answered as given: <see cref="Field"/> names the part at fault.</summary>
public sealed class StatsQueryException : Exception
{
    public StatsQueryException(string field, string message)
        : base(message) => Field = field;

    public StatsQueryException()
        : this("", "The query is not valid.")
    {
    }

    public StatsQueryException(string message)
        : this("", message)
    {
    }

    public StatsQueryException(string message, Exception innerException)
        : base(message, innerException) => Field = "";

    /// <summary>The path of the field at fault, e.g. <c>filters[0][1]</c>; empty for the whole body.</summary>
    public string Field { get; }
}
