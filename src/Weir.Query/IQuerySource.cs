using Weir.DuckDb;

namespace Weir.Query;

/// <summary>
/// Where queries read events: connections on a DuckDB database whose relation <see cref="EventsRelation"/> has the
/// columns of the lake's <c>events</c> view (see docs/lake.md), <c>site_id</c> and <c>event_date</c> included.
/// The server adapts its lake to this; tests and benchmarks adapt plain databases.
/// </summary>
public interface IQuerySource
{
    /// <summary>The relation every query reads, as SQL (a quoted name such as <c>"events"</c>).</summary>
    string EventsRelation { get; }

    /// <summary>
    /// The folders whose files the relation reads (the lake's root): the only ones a SQL sandbox lets DuckDB open.
    /// </summary>
    IReadOnlyList<string> DataDirectories { get; }

    /// <summary>A new connection; the caller disposes it. Safe to call from any thread.</summary>
    DuckDbConnection Connect();

    /// <summary>
    /// Every UTC date (<c>event_date</c>) that holds events of <paramref name="siteId"/>, with a version that changes
    /// whenever the date's events may have changed, or null while they are still changing. Null when the source cannot
    /// tell: then nothing is cached and every report reads the events.
    /// </summary>
    IReadOnlyDictionary<DateOnly, string?>? PartitionVersions(string siteId) => null;
}
