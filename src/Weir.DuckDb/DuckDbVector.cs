using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Weir.DuckDb.Native;

namespace Weir.DuckDb;

/// <summary>
/// One column of a <see cref="DuckDbDataChunk"/>. Fixed-width values are read as spans straight over DuckDB's
/// memory (<see cref="GetValues{T}"/>) with no allocation; <see cref="IsValid"/> reads the validity mask.
/// Valid only while its chunk is alive.
/// </summary>
public readonly unsafe struct DuckDbVector
{
    private readonly IntPtr _vector;
    private readonly void* _data;
    private readonly ulong* _validity;

    internal DuckDbVector(IntPtr vector, DuckDbColumnType type, int length)
    {
        _vector = vector;
        _data = NativeMethods.duckdb_vector_get_data(vector);
        _validity = NativeMethods.duckdb_vector_get_validity(vector);
        ColumnType = type;
        Length = length;
    }

    public DuckDbColumnType ColumnType { get; }

    public DuckDbType Type => ColumnType.Type;

    /// <summary>Number of values: the chunk's row count, or for a list's child, the total number of elements.</summary>
    public int Length { get; }

    /// <summary>True when the vector has no nulls at all (DuckDB leaves the mask out).</summary>
    public bool AllValid => _validity is null;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsValid(int row) => _validity is null || (_validity[row >> 6] & (1UL << (row & 63))) != 0;

    public bool IsNull(int row) => !IsValid(row);

    /// <summary>
    /// The raw values, for fixed-width types: bool/sbyte/short/int/long and unsigned, float/double, Int128 for
    /// HUGEINT, UInt128 for UHUGEINT, long microseconds for TIMESTAMP/TIMESTAMPTZ, int days for DATE.
    /// Entries at null positions hold garbage; check <see cref="IsValid"/>.
    /// </summary>
    public ReadOnlySpan<T> GetValues<T>() where T : unmanaged
    {
        var width = DuckDbTypes.FixedWidth(Type);
        if (width == 0 || width != sizeof(T))
        {
            ThrowHelper.WrongType(ColumnType, typeof(T).Name);
        }

        return new ReadOnlySpan<T>(_data, Length);
    }

    public bool GetBoolean(int row) => Read<bool>(row, DuckDbType.Boolean);

    public long GetInt64(int row) => Type switch
    {
        DuckDbType.BigInt => Read<long>(row, DuckDbType.BigInt),
        DuckDbType.Integer => Read<int>(row, DuckDbType.Integer),
        DuckDbType.SmallInt => Read<short>(row, DuckDbType.SmallInt),
        DuckDbType.TinyInt => Read<sbyte>(row, DuckDbType.TinyInt),
        DuckDbType.UInteger => Read<uint>(row, DuckDbType.UInteger),
        DuckDbType.USmallInt => Read<ushort>(row, DuckDbType.USmallInt),
        DuckDbType.UTinyInt => Read<byte>(row, DuckDbType.UTinyInt),
        _ => ThrowHelper.WrongType<long>(ColumnType, "Int64"),
    };

    public ulong GetUInt64(int row) => Read<ulong>(row, DuckDbType.UBigInt);

    public Int128 GetHugeInt(int row) => Read<Int128>(row, DuckDbType.HugeInt);

    public UInt128 GetUHugeInt(int row) => Read<UInt128>(row, DuckDbType.UHugeInt);

    public double GetDouble(int row) => Type == DuckDbType.Float ? Read<float>(row, DuckDbType.Float) : Read<double>(row, DuckDbType.Double);

    /// <summary>A TIMESTAMP (no time zone) as a DateTime of unspecified kind.</summary>
    public DateTime GetDateTime(int row) => DuckDbTime.FromMicros(Read<long>(row, DuckDbType.Timestamp));

    /// <summary>A TIMESTAMPTZ, in UTC.</summary>
    public DateTimeOffset GetDateTimeOffset(int row) => DuckDbTime.FromMicrosUtc(Read<long>(row, DuckDbType.TimestampTz));

    public DateOnly GetDate(int row) => DuckDbTime.FromDays(Read<int>(row, DuckDbType.Date));

    public Guid GetGuid(int row)
    {
        // DuckDB stores a UUID as a HUGEINT with the top bit flipped, so that signed order is the UUID's order.
        var value = Read<DuckDbUHugeInt>(row, DuckDbType.Uuid);
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value.Upper ^ 0x8000_0000_0000_0000UL);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], value.Lower);
        return new Guid(bytes, bigEndian: true);
    }

    public decimal GetDecimal(int row)
    {
        CheckRow(row, DuckDbType.Decimal);
        var scale = ColumnType.DecimalScale;
        return ColumnType.DecimalStorage switch
        {
            DuckDbType.SmallInt => new decimal(((short*)_data)[row]) / Pow10(scale),
            DuckDbType.Integer => new decimal(((int*)_data)[row]) / Pow10(scale),
            DuckDbType.BigInt => new decimal(((long*)_data)[row]) / Pow10(scale),
            _ => (decimal)((Int128*)_data)[row] / Pow10(scale),
        };
    }

    /// <summary>The UTF-8 bytes of a VARCHAR (JSON too) or BLOB, without copying.</summary>
    public ReadOnlySpan<byte> GetBytes(int row)
    {
        if (Type is not (DuckDbType.Varchar or DuckDbType.Blob))
        {
            ThrowHelper.WrongType(ColumnType, "bytes");
        }

        CheckRow(row);
        var s = (DuckDbStringT*)_data + row;
        var length = (int)s->Length;
        return length <= DuckDbStringT.InlineLength
            ? new ReadOnlySpan<byte>((byte*)s + sizeof(uint), length)
            : new ReadOnlySpan<byte>(s->Pointer, length);
    }

    /// <summary>
    /// The VARCHAR or BLOB values as a span of DuckDB's own 16-byte string headers: the length of each without
    /// touching its bytes, and the bytes without copying. Entries at null positions hold garbage.
    /// </summary>
    public ReadOnlySpan<DuckDbString> GetStrings()
    {
        if (Type is not (DuckDbType.Varchar or DuckDbType.Blob))
        {
            ThrowHelper.WrongType(ColumnType, "strings");
        }

        return new ReadOnlySpan<DuckDbString>(_data, Length);
    }

    public string GetString(int row) => Type == DuckDbType.Varchar
        ? Encoding.UTF8.GetString(GetBytes(row))
        : ThrowHelper.WrongType<string>(ColumnType, "String");

    public byte[] GetBlob(int row) => GetBytes(row).ToArray();

    /// <summary>Where row's elements sit in <see cref="GetListChild"/>.</summary>
    public (int Offset, int Length) GetListEntry(int row)
    {
        var entry = Read<DuckDbListEntry>(row, DuckDbType.List);
        return ((int)entry.Offset, (int)entry.Length);
    }

    /// <summary>The child vector that holds every element of every list in this vector.</summary>
    public DuckDbVector GetListChild()
    {
        if (Type != DuckDbType.List)
        {
            ThrowHelper.WrongType(ColumnType, "list");
        }

        var child = NativeMethods.duckdb_list_vector_get_child(_vector);
        var size = (int)NativeMethods.duckdb_list_vector_get_size(_vector);
        return new DuckDbVector(child, new DuckDbColumnType(ColumnType.ListChildType, DuckDbType.Invalid, null), size);
    }

    /// <summary>A LIST of VARCHAR as an array; null elements stay null.</summary>
    public string?[] GetStringList(int row)
    {
        var (offset, length) = GetListEntry(row);
        var child = GetListChild();
        var values = new string?[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = child.IsValid(offset + i) ? child.GetString(offset + i) : null;
        }

        return values;
    }

    /// <summary>Any supported value boxed, or null. For display and tests; hot paths use the typed readers.</summary>
    public object? GetValue(int row)
    {
        CheckRow(row);
        if (!IsValid(row))
        {
            return null;
        }

        return Type switch
        {
            DuckDbType.Boolean => GetBoolean(row),
            DuckDbType.TinyInt => Read<sbyte>(row, Type),
            DuckDbType.SmallInt => Read<short>(row, Type),
            DuckDbType.Integer => Read<int>(row, Type),
            DuckDbType.BigInt => Read<long>(row, Type),
            DuckDbType.UTinyInt => Read<byte>(row, Type),
            DuckDbType.USmallInt => Read<ushort>(row, Type),
            DuckDbType.UInteger => Read<uint>(row, Type),
            DuckDbType.UBigInt => Read<ulong>(row, Type),
            DuckDbType.HugeInt => GetHugeInt(row),
            DuckDbType.UHugeInt => GetUHugeInt(row),
            DuckDbType.Float => Read<float>(row, Type),
            DuckDbType.Double => Read<double>(row, Type),
            DuckDbType.Decimal => GetDecimal(row),
            DuckDbType.Varchar => GetString(row),
            DuckDbType.Blob => GetBlob(row),
            DuckDbType.Date => GetDate(row),
            DuckDbType.Timestamp => GetDateTime(row),
            DuckDbType.TimestampTz => GetDateTimeOffset(row),
            DuckDbType.TimestampMs => DuckDbTime.FromMicros(Read<long>(row, Type) * 1000),
            DuckDbType.TimestampS => DuckDbTime.FromMicros(Read<long>(row, Type) * 1_000_000),
            DuckDbType.TimestampNs => DuckDbTime.FromMicros(Read<long>(row, Type) / 1000),
            DuckDbType.Time => TimeOnly.FromTimeSpan(TimeSpan.FromMicroseconds(Read<long>(row, Type))),
            DuckDbType.Uuid => GetGuid(row),
            DuckDbType.List => GetListValues(row),
            _ => ThrowHelper.WrongType<object>(ColumnType, "a value (cast the column to VARCHAR in SQL to read it)"),
        };
    }

    private object?[] GetListValues(int row)
    {
        var (offset, length) = GetListEntry(row);
        var child = GetListChild();
        var values = new object?[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = child.GetValue(offset + i);
        }

        return values;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private T Read<T>(int row, DuckDbType expected) where T : unmanaged
    {
        CheckRow(row, expected);
        return ((T*)_data)[row];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckRow(int row, DuckDbType expected)
    {
        if (Type != expected)
        {
            ThrowHelper.WrongType(ColumnType, DuckDbTypes.SqlName(expected));
        }

        CheckRow(row);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckRow(int row)
    {
        if ((uint)row >= (uint)Length)
        {
            ThrowHelper.RowOutOfRange(row, Length);
        }
    }

    private static decimal Pow10(byte scale)
    {
        var result = 1m;
        for (var i = 0; i < scale; i++)
        {
            result *= 10;
        }

        return result;
    }
}

/// <summary>
/// DuckDB's string header (duckdb_string_t): the length, then either the bytes inline (up to 12) or a prefix and a
/// pointer. Only valid while the chunk it came from is alive.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
public readonly unsafe struct DuckDbString
{
    private readonly uint _length;
    private readonly uint _prefix;
    private readonly byte* _pointer;

    public int Length => (int)_length;

    /// <summary>The UTF-8 (or BLOB) bytes, without copying.</summary>
    public ReadOnlySpan<byte> Bytes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (_length <= DuckDbStringT.InlineLength)
            {
                // Inline bytes start right after the length, inside this struct. A tracked reference (not a raw
                // pointer) keeps the span right even for a copy of the header that lives on the managed heap.
                return MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<uint, byte>(ref Unsafe.AsRef(in _prefix)), (int)_length);
            }

            return new ReadOnlySpan<byte>(_pointer, (int)_length);
        }
    }
}
