using Weir.DuckDb;

namespace Weir.Cli.Output;

/// <summary>Which column types the writers can print, checked before anything is printed.</summary>
internal static class ResultColumns
{
    /// <summary>Why a column cannot be printed, or null when all can.</summary>
    public static string? FindUnsupported(DuckDbResult result)
    {
        for (var i = 0; i < result.ColumnCount; i++)
        {
            var type = result.ColumnTypes[i];
            var printable = type.Type == DuckDbType.List ? IsScalar(type.ListChildType) : IsScalar(type.Type);
            if (!printable)
            {
                var name = result.ColumnNames[i];
                return $"column '{name}' has type {type.SqlName}, which cannot be printed yet; cast it in the query, e.g. \"{name}\"::VARCHAR";
            }
        }

        return null;
    }

    /// <summary>The SQL NULL type: a column of <c>SELECT NULL</c>. Every value is null.</summary>
    public static bool IsAlwaysNull(DuckDbColumnType type) => type.Type == DuckDbType.SqlNull;

    private static bool IsScalar(DuckDbType type) => type switch
    {
        DuckDbType.Boolean or DuckDbType.TinyInt or DuckDbType.SmallInt or DuckDbType.Integer or DuckDbType.BigInt
            or DuckDbType.UTinyInt or DuckDbType.USmallInt or DuckDbType.UInteger or DuckDbType.UBigInt
            or DuckDbType.HugeInt or DuckDbType.UHugeInt or DuckDbType.Float or DuckDbType.Double or DuckDbType.Decimal
            or DuckDbType.Varchar or DuckDbType.Blob or DuckDbType.Date or DuckDbType.Time or DuckDbType.Timestamp
            or DuckDbType.TimestampTz or DuckDbType.TimestampS or DuckDbType.TimestampMs or DuckDbType.TimestampNs
            or DuckDbType.Uuid or DuckDbType.SqlNull => true,
        _ => false,
    };

    /// <summary>True for types printed as JSON numbers and right-aligned in tables.</summary>
    public static bool IsNumeric(DuckDbColumnType type) => type.Type switch
    {
        DuckDbType.TinyInt or DuckDbType.SmallInt or DuckDbType.Integer or DuckDbType.BigInt
            or DuckDbType.UTinyInt or DuckDbType.USmallInt or DuckDbType.UInteger or DuckDbType.UBigInt
            or DuckDbType.HugeInt or DuckDbType.UHugeInt or DuckDbType.Float or DuckDbType.Double
            or DuckDbType.Decimal => true,
        _ => false,
    };

    /// <summary>The value at <paramref name="row"/>, or null.</summary>
    public static object? GetValue(in DuckDbVector vector, int row) =>
        IsAlwaysNull(vector.ColumnType) || !vector.IsValid(row) ? null : vector.GetValue(row);
}
