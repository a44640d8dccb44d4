using Weir.DuckDb;

namespace Weir.Lake.Hot;

/// <summary>
/// Appends decoded records to the hot table through one <see cref="DuckDbAppender"/>. The mapping from the hot table's
/// columns (<see cref="HotTable.StoredColumns"/>) to record fields is worked out once, here, and checked against the
/// appender's columns, so a column with no source, or an appender on another table, fails at start-up rather than on
/// the first row. Appending a row allocates nothing.
/// </summary>
/// <remarks>
/// Record fields go to the columns of the same name; the enrichment columns come from the
/// <see cref="IHotRowEnricher"/> (NULL without one); <c>ip</c> and <c>user_agent</c> have no column and are never
/// written. The writer does not flush: the loader decides when rows are handed to DuckDB (and when the log may
/// forget them), through the appender it owns, after <see cref="HotDimensions.Publish"/>.
/// </remarks>
public sealed class HotRowWriter
{
    private readonly DuckDbAppender _appender;
    private readonly IHotRowEnricher? _enricher;
    private readonly HotEnrichment _enrichment;
    private readonly Source[] _plan;

    /// <summary>The number of fields of <see cref="HotTable.Enrichment"/>: the dimension ids, then the visitor hash.</summary>
    private static readonly int EnrichmentFields = HotDimensions.IdColumns.Length + 1;

    /// <summary>One row's <see cref="HotTable.Enrichment"/> fields, reused from row to row.</summary>
    private readonly long?[] _fields = new long?[EnrichmentFields];

    /// <param name="appender">An appender on <see cref="HotTable.Name"/>.</param>
    /// <param name="dimensions">The interned enrichment values of the appender's database, shared by its writers.</param>
    /// <param name="enricher">Fills the enrichment columns; none leaves them NULL.</param>
    public HotRowWriter(DuckDbAppender appender, HotDimensions dimensions, IHotRowEnricher? enricher = null)
    {
        ArgumentNullException.ThrowIfNull(appender);
        _appender = appender;
        _enricher = enricher;
        _enrichment = new HotEnrichment(dimensions);
        _plan = BuildPlan(appender);
    }

    /// <summary>Rows appended by this writer (handed to the appender; written to the table at its next flush).</summary>
    public long RowsAppended { get; private set; }

    /// <summary>
    /// Appends <paramref name="record"/> as one row with its log position. The record was fully checked by
    /// <see cref="RecordDecoder.TryDecode"/>, so the row is either appended whole or, if the enricher throws, not
    /// started.
    /// </summary>
    public void Append(in DecodedRecord record, long logPosition)
    {
        var decoder = record.CheckedDecoder;
        var enrichment = _enrichment;
        if (_enricher is not null)
        {
            enrichment.Clear();
            _enricher.Enrich(in record, enrichment);
        }

        var row = _appender.CreateRow();
        foreach (var source in _plan)
        {
            var field = (RecordField)source.Index;
            switch (source.Kind)
            {
                case SourceKind.Text:
                    row = decoder.Has(field) ? row.AppendUtf8(record.RawUtf8(decoder, field)) : row.AppendNull();
                    break;
                case SourceKind.Time:
                    row = decoder.Has(field)
                        ? row.Append(new DateTimeOffset(decoder.Number(field), TimeSpan.Zero))
                        : row.AppendNull();
                    break;
                case SourceKind.Int32:
                    row = decoder.Has(field) ? row.Append((int)decoder.Number(field)) : row.AppendNull();
                    break;
                case SourceKind.EnrichmentText:
                    row = enrichment.TryGet(source.Index, out var text) ? row.AppendUtf8(text) : row.AppendNull();
                    break;
                default:
                    if (_enricher is null)
                    {
                        row = row.AppendNull();
                    }
                    else
                    {
                        var fields = _fields;
                        for (var d = 0; d < fields.Length - 1; d++)
                        {
                            fields[d] = enrichment.Entry(d)?.Id;
                        }

                        fields[^1] = enrichment.VisitorHash is { } hash ? unchecked((long)hash) : null;
                        row = row.AppendIntegerStruct(fields);
                    }

                    break;
            }
        }

        row.Append(logPosition).EndRow();
        RowsAppended++;
    }

    private static Source[] BuildPlan(DuckDbAppender appender)
    {
        var columns = HotTable.StoredColumns;
        if (appender.ColumnCount != columns.Count + 1)
        {
            throw new InvalidOperationException(
                $"The appender has {appender.ColumnCount} columns; {HotTable.Name} has {columns.Count + 1}. Is it an appender on {HotTable.Name}?");
        }

        var plan = new Source[columns.Count];
        for (var c = 0; c < columns.Count; c++)
        {
            var column = columns[c];
            plan[c] = SourceOf(column);
            var expected = column.Type switch
            {
                ColumnType.TimestampTz => DuckDbType.TimestampTz,
                ColumnType.Integer => DuckDbType.Integer,
                ColumnType.Boolean => DuckDbType.Boolean,
                ColumnType.HotEnrichment => DuckDbType.Struct,
                _ => DuckDbType.Varchar, // JSON is a VARCHAR with an alias.
            };
            CheckType(appender, c, column.Name, expected);
            if (column.Type == ColumnType.HotEnrichment && appender.ColumnTypes[c].StructFields?.Count != EnrichmentFields)
            {
                throw new InvalidOperationException(
                    $"Column {c} ({column.Name}) of the appender is {appender.ColumnTypes[c].SqlName}; {HotTable.Name} has {HotTable.EnrichmentSqlType} there.");
            }
        }

        CheckType(appender, columns.Count, EventColumns.LogPosition, DuckDbType.BigInt);
        return plan;
    }

    private static Source SourceOf(EventColumn column)
    {
        for (var i = 0; i < RecordFields.Count; i++)
        {
            if (RecordFields.Names[i].Value == column.Name)
            {
                var kind = RecordFields.Kinds[i] switch
                {
                    FieldKind.Time => SourceKind.Time,
                    FieldKind.Int32 => SourceKind.Int32,
                    _ => SourceKind.Text,
                };
                var expected = kind switch
                {
                    SourceKind.Time => column.Type == ColumnType.TimestampTz,
                    SourceKind.Int32 => column.Type == ColumnType.Integer,
                    _ => column.Type is ColumnType.Varchar or ColumnType.Json,
                };
                return expected ? new Source(kind, i) : throw new InvalidOperationException(
                    $"The column {column.Name} is {column.SqlType}, which its record field cannot fill.");
            }
        }

        var enrichment = Array.IndexOf(HotEnrichment.ColumnNames, column.Name);
        if (enrichment >= 0 && enrichment < HotEnrichment.TextCount && column.Type == ColumnType.Varchar)
        {
            return new Source(SourceKind.EnrichmentText, enrichment);
        }

        if (column.Name == HotTable.Enrichment && column.Type == ColumnType.HotEnrichment)
        {
            return new Source(SourceKind.Enrichment, 0);
        }

        throw new InvalidOperationException(
            $"The column {column.Name} ({column.SqlType}) has no source in the record or the enrichment; the hot table's writer must learn it.");
    }

    private static void CheckType(DuckDbAppender appender, int index, string name, DuckDbType expected)
    {
        var actual = appender.ColumnTypes[index].Type;
        if (actual != expected)
        {
            throw new InvalidOperationException(
                $"Column {index} ({name}) of the appender is {actual}; {HotTable.Name} has {expected} there.");
        }
    }

    private enum SourceKind : byte
    {
        Text,
        Time,
        Int32,
        EnrichmentText,
        Enrichment,
    }

    private readonly record struct Source(SourceKind Kind, int Index);
}
