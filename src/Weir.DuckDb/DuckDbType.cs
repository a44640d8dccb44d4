namespace Weir.DuckDb;

/// <summary>DuckDB's physical type ids, as in duckdb.h's <c>duckdb_type</c>.</summary>
#pragma warning disable CA1720 // The members are named after DuckDB's SQL types on purpose.
public enum DuckDbType
{
    Invalid = 0,
    Boolean = 1,
    TinyInt = 2,
    SmallInt = 3,
    Integer = 4,
    BigInt = 5,
    UTinyInt = 6,
    USmallInt = 7,
    UInteger = 8,
    UBigInt = 9,
    Float = 10,
    Double = 11,
    Timestamp = 12,
    Date = 13,
    Time = 14,
    Interval = 15,
    HugeInt = 16,
    Varchar = 17,
    Blob = 18,
    Decimal = 19,
    TimestampS = 20,
    TimestampMs = 21,
    TimestampNs = 22,
    Enum = 23,
    List = 24,
    Struct = 25,
    Map = 26,
    Uuid = 27,
    Union = 28,
    Bit = 29,
    TimeTz = 30,
    TimestampTz = 31,
    UHugeInt = 32,
    Array = 33,
    Any = 34,
    BigNum = 35,
    SqlNull = 36,
}
#pragma warning restore CA1720

/// <summary>What kind of statement a prepared statement is, as in duckdb.h's <c>duckdb_statement_type</c>.</summary>
public enum DuckDbStatementType
{
    Invalid = 0,
    Select = 1,
    Insert = 2,
    Update = 3,
    Explain = 4,
    Delete = 5,
    Prepare = 6,
    Create = 7,
    Execute = 8,
    Alter = 9,
    Transaction = 10,
    Copy = 11,
    Analyze = 12,
    VariableSet = 13,
    CreateFunction = 14,
    Drop = 15,
    Export = 16,
    Pragma = 17,
    Vacuum = 18,
    Call = 19,
    Set = 20,
    Load = 21,
    Relation = 22,
    Extension = 23,
    LogicalPlan = 24,
    Attach = 25,
    Detach = 26,
    Multi = 27,
}

/// <summary>A column's type: its id, the child type of a LIST, and an alias such as JSON.</summary>
public sealed record DuckDbColumnType(DuckDbType Type, DuckDbType ListChildType, string? Alias)
{
    public byte DecimalWidth { get; init; }

    public byte DecimalScale { get; init; }

    /// <summary>The integer type a DECIMAL is stored as, which depends on its width.</summary>
    internal DuckDbType DecimalStorage { get; init; }

    /// <summary>A STRUCT's fields in order; null for the other types.</summary>
    public IReadOnlyList<DuckDbStructField>? StructFields { get; init; }

    /// <summary>The type as DuckDB spells it in SQL, e.g. BIGINT, VARCHAR[], DECIMAL(18,3), JSON, STRUCT(a INTEGER, b BIGINT).</summary>
    public string SqlName => Alias ?? Type switch
    {
        DuckDbType.List => DuckDbTypes.SqlName(ListChildType) + "[]",
        DuckDbType.Decimal => $"DECIMAL({DecimalWidth},{DecimalScale})",
        DuckDbType.Struct when StructFields is { } fields => $"STRUCT({string.Join(", ", fields.Select(f => $"{f.Name} {f.Type.SqlName}"))})",
        _ => DuckDbTypes.SqlName(Type),
    };
}

/// <summary>One field of a STRUCT type: its name and type.</summary>
public sealed record DuckDbStructField(string Name, DuckDbColumnType Type);

public static class DuckDbTypes
{
    public static string SqlName(DuckDbType type) => type switch
    {
        DuckDbType.Boolean => "BOOLEAN",
        DuckDbType.TinyInt => "TINYINT",
        DuckDbType.SmallInt => "SMALLINT",
        DuckDbType.Integer => "INTEGER",
        DuckDbType.BigInt => "BIGINT",
        DuckDbType.UTinyInt => "UTINYINT",
        DuckDbType.USmallInt => "USMALLINT",
        DuckDbType.UInteger => "UINTEGER",
        DuckDbType.UBigInt => "UBIGINT",
        DuckDbType.Float => "FLOAT",
        DuckDbType.Double => "DOUBLE",
        DuckDbType.Timestamp => "TIMESTAMP",
        DuckDbType.Date => "DATE",
        DuckDbType.Time => "TIME",
        DuckDbType.Interval => "INTERVAL",
        DuckDbType.HugeInt => "HUGEINT",
        DuckDbType.UHugeInt => "UHUGEINT",
        DuckDbType.Varchar => "VARCHAR",
        DuckDbType.Blob => "BLOB",
        DuckDbType.Decimal => "DECIMAL",
        DuckDbType.TimestampS => "TIMESTAMP_S",
        DuckDbType.TimestampMs => "TIMESTAMP_MS",
        DuckDbType.TimestampNs => "TIMESTAMP_NS",
        DuckDbType.TimestampTz => "TIMESTAMP WITH TIME ZONE",
        DuckDbType.Uuid => "UUID",
        DuckDbType.List => "LIST",
        DuckDbType.Struct => "STRUCT",
        DuckDbType.Map => "MAP",
        DuckDbType.Enum => "ENUM",
        DuckDbType.SqlNull => "NULL",
        _ => type.ToString().ToUpperInvariant(),
    };

    /// <summary>Bytes per value in a vector, or 0 where values are not fixed width in Weir's readers.</summary>
    internal static int FixedWidth(DuckDbType type) => type switch
    {
        DuckDbType.Boolean or DuckDbType.TinyInt or DuckDbType.UTinyInt => 1,
        DuckDbType.SmallInt or DuckDbType.USmallInt => 2,
        DuckDbType.Integer or DuckDbType.UInteger or DuckDbType.Float or DuckDbType.Date => 4,
        DuckDbType.BigInt or DuckDbType.UBigInt or DuckDbType.Double or DuckDbType.Timestamp or DuckDbType.TimestampTz
            or DuckDbType.TimestampS or DuckDbType.TimestampMs or DuckDbType.TimestampNs or DuckDbType.Time => 8,
        DuckDbType.HugeInt or DuckDbType.UHugeInt or DuckDbType.Uuid or DuckDbType.Interval => 16,
        _ => 0,
    };
}
