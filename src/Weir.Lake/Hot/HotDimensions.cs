using System.Text;
using Weir.DuckDb;

namespace Weir.Lake.Hot;

/// <summary>The groups of enrichment columns the hot table stores as one small id per row.</summary>
public enum HotDimension
{
    /// <summary>From the user agent: browser, browser_version, os, os_version, device_type, is_bot.</summary>
    Agent,

    /// <summary>From the referrer and the landing URL: referrer_host, source.</summary>
    Origin,

    /// <summary>From the IP address: country, region, city.</summary>
    Place,
}

/// <summary>One distinct combination of a dimension's values, with the id the hot table stores for it.</summary>
public sealed class HotDimensionEntry
{
    internal HotDimensionEntry(HotDimensions owner, HotDimension dimension, int id, string?[] values, bool? isBot)
    {
        Owner = owner;
        Dimension = dimension;
        Id = id;
        Values = values;
        IsBot = isBot;
    }

    public HotDimension Dimension { get; }

    public int Id { get; }

    internal HotDimensions Owner { get; }

    internal string?[] Values { get; }

    internal bool? IsBot { get; }
}

/// <summary>
/// The enrichment values of the hot table, interned: each distinct combination of a dimension's values (a parsed user
/// agent, a classified origin, a place) is stored once, in a small table of its own, and a hot row holds only its id.
/// The <c>hot_rows</c> view (<see cref="HotTable.RowsView"/>) joins them back, so every reader sees the contract's
/// columns.
/// </summary>
/// <remarks>
/// Why: DuckDB copies every non-NULL string of an appended row into the table and updates the column's statistics,
/// about 50–60 ns a value, while an INTEGER costs a few. A user agent's five strings and a bot flag, an origin's two
/// strings and a country become three integers (fields of the hot table's one <see cref="HotTable.Enrichment"/> STRUCT),
/// which keeps the rows cheap to append (see docs/performance.md). Only a cache miss in an enricher comes here; lanes share one instance.
/// New entries are written to DuckDB by <see cref="Publish"/>, which every lane calls before it flushes its appender,
/// so no row becomes visible before the values its ids stand for.
/// </remarks>
public sealed class HotDimensions
{
    /// <summary>The dimension tables' names, in <see cref="HotDimension"/> order.</summary>
    public static readonly string[] TableNames = ["hot_agents", "hot_origins", "hot_places"];

    /// <summary>Each dimension's id column in the hot table, in <see cref="HotDimension"/> order.</summary>
    public static readonly string[] IdColumns = ["agent_id", "origin_id", "place_id"];

    /// <summary>Each dimension's text columns (the <c>events</c> columns of the same names), in <see cref="HotDimension"/> order.</summary>
    internal static readonly string[][] TextColumns =
    [
        ["browser", "browser_version", "os", "os_version", "device_type"],
        ["referrer_host", "source"],
        ["country", "region", "city"],
    ];

    /// <summary>The agent dimension's boolean column.</summary>
    internal const string IsBotColumn = "is_bot";

    private readonly Lock _lock = new();

    private HotDimensions()
    {
    }

    private readonly Dictionary<string, HotDimensionEntry>[] _entries = [new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal)];
    private readonly List<HotDimensionEntry> _pending = [];

    /// <summary>The entry for a parsed user agent, created on first use.</summary>
    public HotDimensionEntry Agent(string? browser, string? browserVersion, string? os, string? osVersion, string? deviceType, bool? isBot) =>
        Intern(HotDimension.Agent, [browser, browserVersion, os, osVersion, deviceType], isBot);

    /// <summary>The entry for a referrer's host and classified source, created on first use.</summary>
    public HotDimensionEntry Origin(string? referrerHost, string? source) => Intern(HotDimension.Origin, [referrerHost, source], isBot: null);

    /// <summary>The entry for a place, created on first use.</summary>
    public HotDimensionEntry Place(string? country, string? region, string? city) => Intern(HotDimension.Place, [country, region, city], isBot: null);

    /// <summary>Whether <paramref name="entry"/> is one of this instance's (its id means something in this database).</summary>
    public bool Owns(HotDimensionEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return ReferenceEquals(entry.Owner, this);
    }

    /// <summary>This instance's entry for the values of another's: what an enricher's cache carries from one hot table to the next.</summary>
    public HotDimensionEntry Adopt(HotDimensionEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Owns(entry) ? entry : Intern(entry.Dimension, entry.Values, entry.IsBot);
    }

    /// <summary>
    /// Creates the dimension tables when they are missing and reads the entries they hold, so that ids handed out
    /// earlier on this database keep their meaning.
    /// </summary>
    public static HotDimensions Open(DuckDbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.Execute(CreateStatement);
        var dimensions = new HotDimensions();
        for (var d = 0; d < TableNames.Length; d++)
        {
            using var result = connection.Query($"SELECT * FROM {Sql.Identifier(TableNames[d])} ORDER BY 1");
            while (result.NextChunk() is { } chunk)
            {
                using (chunk)
                {
                    for (var r = 0; r < chunk.RowCount; r++)
                    {
                        var values = new string?[TextColumns[d].Length];
                        for (var c = 0; c < values.Length; c++)
                        {
                            values[c] = (string?)chunk.GetVector(c + 1).GetValue(r);
                        }

                        var isBot = d == (int)HotDimension.Agent ? (bool?)chunk.GetVector(values.Length + 1).GetValue(r) : null;
                        var id = (int)chunk.GetVector(0).GetValue(r)!;
                        dimensions._entries[d].Add(Key(values, isBot), new HotDimensionEntry(dimensions, (HotDimension)d, id, values, isBot));
                    }
                }
            }
        }

        return dimensions;
    }

    /// <summary>The dimension tables' DDL (created when missing).</summary>
    public static string CreateStatement { get; } = BuildCreateStatement();

    /// <summary>
    /// Writes the entries created since the last call to their tables, through <paramref name="connection"/>. Called
    /// before an appender's rows are handed to DuckDB: an entry a row refers to is then always in its table.
    /// </summary>
    public void Publish(DuckDbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        lock (_lock)
        {
            if (_pending.Count == 0)
            {
                return;
            }

            for (var d = 0; d < TableNames.Length; d++)
            {
                DuckDbAppender? appender = null;
                try
                {
                    foreach (var entry in _pending)
                    {
                        if ((int)entry.Dimension != d)
                        {
                            continue;
                        }

                        appender ??= connection.CreateAppender(TableNames[d]);
                        var row = appender.CreateRow().Append(entry.Id);
                        foreach (var value in entry.Values)
                        {
                            row = row.Append(value);
                        }

                        if (entry.Dimension == HotDimension.Agent)
                        {
                            row = entry.IsBot is { } isBot ? row.Append(isBot) : row.AppendNull();
                        }

                        row.EndRow();
                    }

                    appender?.Flush();
                }
                finally
                {
                    appender?.Dispose();
                }
            }

            _pending.Clear();
        }
    }

    private static string Key(string?[] values, bool? isBot)
    {
        var key = new StringBuilder();
        foreach (var value in values)
        {
            // A value's length first, so that no two combinations share a key whatever characters they hold.
            key.Append(value is null ? -1 : value.Length).Append(':').Append(value).Append(';');
        }

        return key.Append(isBot switch { null => 'n', true => 't', false => 'f' }).ToString();
    }

    private HotDimensionEntry Intern(HotDimension dimension, string?[] values, bool? isBot)
    {
        var text = Key(values, isBot);
        lock (_lock)
        {
            var entries = _entries[(int)dimension];
            if (!entries.TryGetValue(text, out var entry))
            {
                entry = new HotDimensionEntry(this, dimension, entries.Count + 1, values, isBot);
                entries.Add(text, entry);
                _pending.Add(entry);
            }

            return entry;
        }
    }

    private static string BuildCreateStatement()
    {
        var sql = new StringBuilder();
        for (var d = 0; d < TableNames.Length; d++)
        {
            sql.Append("CREATE TABLE IF NOT EXISTS ").Append(Sql.Identifier(TableNames[d])).Append(" (")
                .Append(Sql.Identifier(IdColumns[d])).Append(" INTEGER PRIMARY KEY");
            foreach (var column in TextColumns[d])
            {
                sql.Append(", ").Append(Sql.Identifier(column)).Append(" VARCHAR");
            }

            if (d == (int)HotDimension.Agent)
            {
                sql.Append(", ").Append(Sql.Identifier(IsBotColumn)).Append(" BOOLEAN");
            }

            sql.Append("); ");
        }

        return sql.ToString();
    }
}
