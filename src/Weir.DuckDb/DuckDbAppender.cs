using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;
using Weir.DuckDb.Handles;
using Weir.DuckDb.Native;

namespace Weir.DuckDb;

/// <summary>
/// Appends rows to a table a whole data chunk at a time. Values are written straight into the chunk's vectors in
/// managed code, so there is no native call per value; one <c>duckdb_append_data_chunk</c> hands over 2048 rows.
/// </summary>
/// <example>
/// <code>
/// using var appender = connection.CreateAppender("events");
/// appender.CreateRow().Append(42L).Append("page").Append(DateTime.UtcNow).EndRow();
/// appender.Close();
/// </code>
/// </example>
public sealed unsafe class DuckDbAppender : IDisposable
{
    private readonly AppenderHandle _handle;
    private readonly DataChunkHandle _chunk;
    private readonly DuckDbColumnType[] _types;
    private readonly DuckDbType[] _typeIds;
    private readonly string _table;
    private readonly int _capacity;
    private readonly IntPtr[] _vectors;
    private readonly IntPtr[] _data;
    private readonly IntPtr[] _validity;
    private readonly IntPtr[] _listChildData;
    private readonly int[] _listSize;
    private readonly int[] _listReserved;
    private readonly StructColumn?[] _structs;
    private readonly NativeArena _arena = new();
    private int _row;
    private int _column;
    private bool _closed;

    private DuckDbAppender(AppenderHandle handle, string table)
    {
        _handle = handle;
        _table = table;
        var count = (int)NativeMethods.duckdb_appender_column_count(handle);
        _types = new DuckDbColumnType[count];
        var logicalTypes = new IntPtr[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                logicalTypes[i] = NativeMethods.duckdb_appender_column_type(handle, (ulong)i);
                _types[i] = ColumnTypeReader.Describe(logicalTypes[i]);
                if (!IsSupported(_types[i]))
                {
                    throw new DuckDbException($"Table {table}, column {i}: the appender does not support {_types[i].SqlName} columns.");
                }
            }

            fixed (IntPtr* types = logicalTypes)
            {
                _chunk = NativeMethods.duckdb_create_data_chunk(types, (ulong)count);
            }
        }
        finally
        {
            foreach (var type in logicalTypes)
            {
                if (type != IntPtr.Zero)
                {
                    var t = type;
                    NativeMethods.duckdb_destroy_logical_type(&t);
                }
            }
        }

        _typeIds = Array.ConvertAll(_types, t => t.Type);
        _capacity = (int)NativeMethods.duckdb_vector_size();
        _vectors = new IntPtr[count];
        _data = new IntPtr[count];
        _validity = new IntPtr[count];
        _listChildData = new IntPtr[count];
        _listSize = new int[count];
        _listReserved = new int[count];
        _structs = new StructColumn?[count];
        for (var i = 0; i < count; i++)
        {
            if (_types[i].StructFields is { } fields)
            {
                _structs[i] = new StructColumn([.. fields.Select(f => f.Type.Type)]);
            }
        }

        PrepareChunk();
    }

    internal static DuckDbAppender Create(DuckDbConnection connection, string? schema, string table)
    {
        if (NativeMethods.duckdb_appender_create(connection.Handle, schema, table, out var handle) != NativeMethods.DuckDbSuccess)
        {
            var error = handle.IsInvalid ? null : ErrorOf(handle);
            handle.Dispose();
            throw new DuckDbException($"Could not create an appender for table '{table}': {error ?? "unknown error"}");
        }

        handle.KeepAlive(connection.Handle);
        try
        {
            return new DuckDbAppender(handle, table);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public int ColumnCount => _types.Length;

    public IReadOnlyList<DuckDbColumnType> ColumnTypes => _types;

    /// <summary>Starts a row. Append one value per column, in order, then call <see cref="DuckDbAppenderRow.EndRow"/>.</summary>
    public DuckDbAppenderRow CreateRow()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        AbandonRow();
        return new DuckDbAppenderRow(this);
    }

    /// <summary>Hands the rows appended so far to DuckDB and writes them to the table.</summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        AppendChunk();
        if (NativeMethods.duckdb_appender_flush(_handle) != NativeMethods.DuckDbSuccess)
        {
            throw new DuckDbException($"Appending to '{_table}' failed: {ErrorOf(_handle) ?? "unknown error"}");
        }
    }

    /// <summary>Flushes and closes. After this the appender takes no more rows.</summary>
    public void Close()
    {
        if (_closed)
        {
            return;
        }

        try
        {
            Flush();
            if (NativeMethods.duckdb_appender_close(_handle) != NativeMethods.DuckDbSuccess)
            {
                throw new DuckDbException($"Closing the appender on '{_table}' failed: {ErrorOf(_handle) ?? "unknown error"}");
            }
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Closes the appender, so pending rows are written; an append error surfaces here rather than being lost.</summary>
    public void Dispose()
    {
        if (_closed)
        {
            return;
        }

        // A half-written row cannot be completed; drop it rather than write nulls the caller never asked for.
        AbandonRow();
        Close();
    }

    private void Release()
    {
        _closed = true;
        _chunk.Dispose();
        _handle.Dispose();
        _arena.Dispose();
    }

    // --- Writing values into the current row ---

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int NextColumn(string given)
    {
        var column = _column;
        if (column >= _types.Length)
        {
            ThrowTooManyValues(given);
        }

        _column = column + 1;
        return column;
    }

    internal void AppendNull()
    {
        var column = NextColumn("null");
        SetNull(column, _row);
        if (_structs[column] is { } fields)
        {
            // DuckDB reads a NULL struct's fields too: they are NULL with it.
            for (var f = 0; f < fields.Types.Length; f++)
            {
                SetNull(fields.Vectors[f], ref fields.Validity[f], _row);
            }
        }
        else if (_typeIds[column] == DuckDbType.List)
        {
            ((DuckDbListEntry*)_data[column])[_row] = new DuckDbListEntry { Offset = (ulong)_listSize[column], Length = 0 };
        }
    }

    internal void AppendBoolean(bool value)
    {
        var column = NextColumn("Boolean");
        if (_typeIds[column] != DuckDbType.Boolean)
        {
            CannotAppend(column, "Boolean");
        }

        ((bool*)_data[column])[_row] = value;
    }

    internal void AppendInt64(long value)
    {
        var column = NextColumn("Int64");
        if (!TryWriteInteger(column, _typeIds[column], _data[column], value))
        {
            CannotAppend(column, "Int64");
        }
    }

    /// <summary>Writes <paramref name="value"/> at the current row of a vector of an integer type (or DOUBLE); false for other types.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryWriteInteger(int column, DuckDbType type, IntPtr data, long value)
    {
        var row = _row;
        switch (type)
        {
            case DuckDbType.BigInt:
                ((long*)data)[row] = value;
                break;
            case DuckDbType.Integer:
                ((int*)data)[row] = (int)InRange(column, value, int.MinValue, int.MaxValue);
                break;
            case DuckDbType.SmallInt:
                ((short*)data)[row] = (short)InRange(column, value, short.MinValue, short.MaxValue);
                break;
            case DuckDbType.TinyInt:
                ((sbyte*)data)[row] = (sbyte)InRange(column, value, sbyte.MinValue, sbyte.MaxValue);
                break;
            case DuckDbType.UBigInt:
                ((ulong*)data)[row] = (ulong)InRange(column, value, 0, long.MaxValue);
                break;
            case DuckDbType.UInteger:
                ((uint*)data)[row] = (uint)InRange(column, value, 0, uint.MaxValue);
                break;
            case DuckDbType.USmallInt:
                ((ushort*)data)[row] = (ushort)InRange(column, value, 0, ushort.MaxValue);
                break;
            case DuckDbType.UTinyInt:
                ((byte*)data)[row] = (byte)InRange(column, value, 0, byte.MaxValue);
                break;
            case DuckDbType.HugeInt:
                ((Int128*)data)[row] = value;
                break;
            case DuckDbType.Double:
                ((double*)data)[row] = value;
                break;
            default:
                return false;
        }

        return true;
    }

    /// <summary>A STRUCT of integer fields, one value (or null) per field in order.</summary>
    internal void AppendIntegerStruct(ReadOnlySpan<long?> fields)
    {
        var column = NextColumn("struct of integers");
        if (_structs[column] is not { } target)
        {
            CannotAppend(column, "struct of integers");
            return;
        }

        if (fields.Length != target.Types.Length)
        {
            AbandonRow();
            throw new DuckDbException($"Column {column} is {_types[column].SqlName}, of {target.Types.Length} fields; {fields.Length} values were given.");
        }

        for (var f = 0; f < fields.Length; f++)
        {
            if (fields[f] is { } value)
            {
                // The fields' types were checked to be integers when the appender was made.
                TryWriteInteger(column, target.Types[f], target.Data[f], value);
            }
            else
            {
                SetNull(target.Vectors[f], ref target.Validity[f], _row);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long InRange(int column, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            OutOfRange(column, value);
        }

        return value;
    }

    internal void AppendUInt64(ulong value)
    {
        var column = NextColumn("UInt64");
        switch (_typeIds[column])
        {
            case DuckDbType.UBigInt:
                ((ulong*)_data[column])[_row] = value;
                break;
            case DuckDbType.HugeInt:
                ((Int128*)_data[column])[_row] = value;
                break;
            case DuckDbType.UHugeInt:
                ((UInt128*)_data[column])[_row] = value;
                break;
            default:
                CannotAppend(column, "UInt64");
                break;
        }
    }

    internal void AppendHugeInt(Int128 value)
    {
        var column = NextColumn("Int128");
        if (_typeIds[column] != DuckDbType.HugeInt)
        {
            CannotAppend(column, "Int128");
        }

        ((Int128*)_data[column])[_row] = value;
    }

    internal void AppendDouble(double value)
    {
        var column = NextColumn("Double");
        switch (_typeIds[column])
        {
            case DuckDbType.Double:
                ((double*)_data[column])[_row] = value;
                break;
            case DuckDbType.Float:
                ((float*)_data[column])[_row] = (float)value;
                break;
            default:
                CannotAppend(column, "Double");
                break;
        }
    }

    internal void AppendTimestamp(long micros, bool utc, string given)
    {
        var column = NextColumn(given);
        switch (_typeIds[column])
        {
            case DuckDbType.Timestamp:
            case DuckDbType.TimestampTz:
                ((long*)_data[column])[_row] = micros;
                break;
            case DuckDbType.Date when !utc:
                ((int*)_data[column])[_row] = (int)Math.Floor(micros / (double)TimeSpan.MicrosecondsPerDay);
                break;
            default:
                CannotAppend(column, given);
                break;
        }
    }

    internal void AppendDate(DateOnly value)
    {
        var column = NextColumn("DateOnly");
        if (_typeIds[column] != DuckDbType.Date)
        {
            CannotAppend(column, "DateOnly");
        }

        ((int*)_data[column])[_row] = DuckDbTime.ToDays(value);
    }

    internal void AppendGuid(Guid value)
    {
        var column = NextColumn("Guid");
        if (_typeIds[column] != DuckDbType.Uuid)
        {
            CannotAppend(column, "Guid");
        }

        Span<byte> bytes = stackalloc byte[16];
        value.TryWriteBytes(bytes, bigEndian: true, out _);
        ((DuckDbUHugeInt*)_data[column])[_row] = new DuckDbUHugeInt
        {
            Upper = BinaryPrimitives.ReadUInt64BigEndian(bytes) ^ 0x8000_0000_0000_0000UL,
            Lower = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
        };
    }

    internal void AppendString(ReadOnlySpan<char> value)
    {
        var column = NextColumn("String");
        if (_typeIds[column] != DuckDbType.Varchar)
        {
            CannotAppend(column, "String");
        }

        WriteString((DuckDbStringT*)_data[column] + _row, value);
    }

    internal void AppendUtf8(ReadOnlySpan<byte> value, bool isBlob)
    {
        var column = NextColumn(isBlob ? "byte[]" : "UTF-8 string");
        var type = _typeIds[column];
        if (isBlob ? type != DuckDbType.Blob : type != DuckDbType.Varchar)
        {
            CannotAppend(column, isBlob ? "byte[]" : "UTF-8 string");
        }

        // Bytes bypass DuckDB's own checks here, so invalid UTF-8 must be stopped before it reaches a VARCHAR.
        if (!isBlob && !System.Text.Unicode.Utf8.IsValid(value))
        {
            AbandonRow();
            throw new DuckDbException($"Column {column} is VARCHAR and the value is not valid UTF-8.");
        }

        WriteBytes((DuckDbStringT*)_data[column] + _row, value);
    }

    internal void AppendStringList(IReadOnlyList<string?> values)
    {
        var column = NextColumn("string list");
        var type = _types[column];
        if (type.Type != DuckDbType.List || type.ListChildType != DuckDbType.Varchar)
        {
            CannotAppend(column, "string list");
        }

        var offset = _listSize[column];
        var end = offset + values.Count;
        if (end > _listReserved[column])
        {
            ReserveList(column, end);
        }

        var child = (DuckDbStringT*)_listChildData[column];
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is { } value)
            {
                WriteString(child + offset + i, value);
            }
            else
            {
                var childVector = NativeMethods.duckdb_list_vector_get_child(_vectors[column]);
                NativeMethods.duckdb_vector_ensure_validity_writable(childVector);
                var mask = NativeMethods.duckdb_vector_get_validity(childVector);
                var index = offset + i;
                mask[index >> 6] &= ~(1UL << (index & 63));
            }
        }

        _listSize[column] = end;
        ((DuckDbListEntry*)_data[column])[_row] = new DuckDbListEntry { Offset = (ulong)offset, Length = (ulong)values.Count };
    }

    internal void EndRow()
    {
        if (_column != _types.Length)
        {
            var given = _column;
            AbandonRow();
            throw new DuckDbException($"A row of table '{_table}' got {given} values; it has {_types.Length} columns.");
        }

        _column = 0;
        if (++_row == _capacity)
        {
            AppendChunk();
        }
    }

    // --- Chunk management ---

    private void AppendChunk()
    {
        if (_column != 0)
        {
            throw new DuckDbException($"The current row of table '{_table}' is not finished; call EndRow first.");
        }

        if (_row == 0)
        {
            return;
        }

        var chunk = _chunk.DangerousGetHandle();
        NativeMethods.duckdb_data_chunk_set_size(chunk, (ulong)_row);
        for (var i = 0; i < _types.Length; i++)
        {
            if (_types[i].Type == DuckDbType.List)
            {
                SetListSize(i, _listSize[i]);
            }
        }

        var state = NativeMethods.duckdb_append_data_chunk(_handle, _chunk);
        NativeMethods.duckdb_data_chunk_reset(_chunk);
        _row = 0;
        _arena.Reset();
        PrepareChunk();
        if (state != NativeMethods.DuckDbSuccess)
        {
            throw new DuckDbException($"Appending to '{_table}' failed: {ErrorOf(_handle) ?? "unknown error"}");
        }
    }

    // Pointers are read once per chunk: resetting a chunk may hand its vectors new buffers.
    private void PrepareChunk()
    {
        var chunk = _chunk.DangerousGetHandle();
        for (var i = 0; i < _types.Length; i++)
        {
            var vector = NativeMethods.duckdb_data_chunk_get_vector(chunk, (ulong)i);
            _vectors[i] = vector;
            _data[i] = (IntPtr)NativeMethods.duckdb_vector_get_data(vector);
            _validity[i] = IntPtr.Zero;
            if (_structs[i] is { } fields)
            {
                for (var f = 0; f < fields.Types.Length; f++)
                {
                    fields.Vectors[f] = NativeMethods.duckdb_struct_vector_get_child(vector, (ulong)f);
                    fields.Data[f] = (IntPtr)NativeMethods.duckdb_vector_get_data(fields.Vectors[f]);
                    fields.Validity[f] = IntPtr.Zero;
                }
            }
            else if (_types[i].Type == DuckDbType.List)
            {
                SetListSize(i, 0);
                _listSize[i] = 0;
                _listReserved[i] = 0;
                ReserveList(i, _capacity);
            }
        }
    }

    private void SetListSize(int column, int size)
    {
        if (NativeMethods.duckdb_list_vector_set_size(_vectors[column], (ulong)size) != NativeMethods.DuckDbSuccess)
        {
            throw new DuckDbException($"Could not set the size of the list in column {column} to {size}.");
        }
    }

    private void ReserveList(int column, int needed)
    {
        var capacity = Math.Max(needed, _listReserved[column] * 2);
        if (NativeMethods.duckdb_list_vector_reserve(_vectors[column], (ulong)capacity) != NativeMethods.DuckDbSuccess)
        {
            throw new DuckDbException($"Could not reserve room for {capacity} list elements in column {column}.");
        }

        _listReserved[column] = capacity;
        var child = NativeMethods.duckdb_list_vector_get_child(_vectors[column]);
        _listChildData[column] = (IntPtr)NativeMethods.duckdb_vector_get_data(child);
    }

    private void SetNull(int column, int row) => SetNull(_vectors[column], ref _validity[column], row);

    /// <summary>Marks a row of a vector NULL; <paramref name="validity"/> caches the vector's mask, made writable on first use.</summary>
    private static void SetNull(IntPtr vector, ref IntPtr validity, int row)
    {
        var mask = (ulong*)validity;
        if (mask is null)
        {
            NativeMethods.duckdb_vector_ensure_validity_writable(vector);
            mask = NativeMethods.duckdb_vector_get_validity(vector);
            validity = (IntPtr)mask;
        }

        mask[row >> 6] &= ~(1UL << (row & 63));
    }

    /// <summary>Marks the current row valid again in every mask a dropped row may have written to.</summary>
    private void ClearRowNulls()
    {
        var word = _row >> 6;
        var bit = 1UL << (_row & 63);
        for (var i = 0; i < _validity.Length; i++)
        {
            if (_validity[i] != IntPtr.Zero)
            {
                ((ulong*)_validity[i])[word] |= bit;
            }

            if (_structs[i] is { } fields)
            {
                foreach (var mask in fields.Validity)
                {
                    if (mask != IntPtr.Zero)
                    {
                        ((ulong*)mask)[word] |= bit;
                    }
                }
            }
        }
    }

    private void WriteString(DuckDbStringT* target, ReadOnlySpan<char> value)
    {
        if (value.Length <= 4)
        {
            // At most 12 UTF-8 bytes: always inline.
            Span<byte> small = stackalloc byte[DuckDbStringT.InlineLength];
            WriteBytes(target, small[..Encoding.UTF8.GetBytes(value, small)]);
            return;
        }

        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var bytes = _arena.Reserve(max);
        var length = Encoding.UTF8.GetBytes(value, new Span<byte>(bytes, max));
        if (length <= DuckDbStringT.InlineLength)
        {
            WriteInline(target, new ReadOnlySpan<byte>(bytes, length));
            return;
        }

        _arena.Commit(length);
        WritePointer(target, bytes, length);
    }

    private void WriteBytes(DuckDbStringT* target, ReadOnlySpan<byte> value)
    {
        if (value.Length <= DuckDbStringT.InlineLength)
        {
            WriteInline(target, value);
            return;
        }

        var bytes = _arena.Reserve(value.Length);
        value.CopyTo(new Span<byte>(bytes, value.Length));
        _arena.Commit(value.Length);
        WritePointer(target, bytes, value.Length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteInline(DuckDbStringT* target, ReadOnlySpan<byte> value)
    {
        // DuckDB compares inlined strings by all 16 bytes, so the unused tail must be zero.
        *target = default;
        target->Length = (uint)value.Length;
        value.CopyTo(new Span<byte>((byte*)target + sizeof(uint), DuckDbStringT.InlineLength));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WritePointer(DuckDbStringT* target, byte* bytes, int length)
    {
        target->Length = (uint)length;
        target->Prefix = *(uint*)bytes;
        target->Pointer = bytes;
    }

    private static bool IsSupported(DuckDbColumnType type) => type.Type switch
    {
        DuckDbType.List => type.ListChildType == DuckDbType.Varchar,
        DuckDbType.Struct => type.StructFields is { Count: > 0 } fields && fields.All(f => f.Type.Type is DuckDbType.BigInt or DuckDbType.Integer
            or DuckDbType.SmallInt or DuckDbType.TinyInt or DuckDbType.UBigInt or DuckDbType.UInteger or DuckDbType.USmallInt or DuckDbType.UTinyInt),
        DuckDbType.Varchar or DuckDbType.Blob or DuckDbType.Uuid => true,
        _ => DuckDbTypes.FixedWidth(type.Type) > 0 && type.Type is not (DuckDbType.Interval or DuckDbType.Time or DuckDbType.TimestampS or DuckDbType.TimestampMs or DuckDbType.TimestampNs),
    };

    private static string? ErrorOf(AppenderHandle handle)
    {
        var error = NativeMethods.duckdb_appender_error_data(handle);
        if (error == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return NativeMethods.duckdb_error_data_message(error);
        }
        finally
        {
            NativeMethods.duckdb_destroy_error_data(&error);
        }
    }

    // A row that failed half-way is dropped whole: the next CreateRow starts clean and nothing partial is appended. The
    // values it wrote are overwritten by the next row, but not the NULLs it marked, which are undone here.
    private void AbandonRow()
    {
        if (_column != 0)
        {
            ClearRowNulls();
        }

        _column = 0;
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CannotAppend(int column, string given)
    {
        AbandonRow();
        ThrowHelper.CannotAppend(column, _types[column], given);
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OutOfRange(int column, long value)
    {
        AbandonRow();
        throw new DuckDbException($"Column {column} is {_types[column].SqlName}; {value} is outside its range.");
    }

    /// <summary>A STRUCT column's fields: their types, and per chunk their vectors, data and validity masks (as for columns).</summary>
    private sealed class StructColumn(DuckDbType[] types)
    {
        public DuckDbType[] Types { get; } = types;

        public IntPtr[] Vectors { get; } = new IntPtr[types.Length];

        public IntPtr[] Data { get; } = new IntPtr[types.Length];

        public IntPtr[] Validity { get; } = new IntPtr[types.Length];
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowTooManyValues(string given)
    {
        AbandonRow();
        throw new DuckDbException($"Table '{_table}' has {_types.Length} columns; a {given} was appended past the last one. Call EndRow after each row.");
    }
}

/// <summary>Fluent writer of one row: one Append per column, in order, then <see cref="EndRow"/>.</summary>
public readonly ref struct DuckDbAppenderRow
{
    private readonly DuckDbAppender _appender;

    internal DuckDbAppenderRow(DuckDbAppender appender) => _appender = appender;

    public DuckDbAppenderRow AppendNull()
    {
        _appender.AppendNull();
        return this;
    }

    public DuckDbAppenderRow Append(bool value)
    {
        _appender.AppendBoolean(value);
        return this;
    }

    public DuckDbAppenderRow Append(long value)
    {
        _appender.AppendInt64(value);
        return this;
    }

    public DuckDbAppenderRow Append(int value)
    {
        _appender.AppendInt64(value);
        return this;
    }

    public DuckDbAppenderRow Append(ulong value)
    {
        _appender.AppendUInt64(value);
        return this;
    }

    public DuckDbAppenderRow Append(Int128 value)
    {
        _appender.AppendHugeInt(value);
        return this;
    }

    public DuckDbAppenderRow Append(double value)
    {
        _appender.AppendDouble(value);
        return this;
    }

    public DuckDbAppenderRow Append(string? value)
    {
        if (value is null)
        {
            _appender.AppendNull();
        }
        else
        {
            _appender.AppendString(value);
        }

        return this;
    }

    public DuckDbAppenderRow Append(ReadOnlySpan<char> value)
    {
        _appender.AppendString(value);
        return this;
    }

    /// <summary>A VARCHAR given as UTF-8 bytes (checked for validity), with no transcoding.</summary>
    public DuckDbAppenderRow AppendUtf8(ReadOnlySpan<byte> value)
    {
        _appender.AppendUtf8(value, isBlob: false);
        return this;
    }

    public DuckDbAppenderRow Append(byte[]? blob)
    {
        if (blob is null)
        {
            _appender.AppendNull();
        }
        else
        {
            _appender.AppendUtf8(blob, isBlob: true);
        }

        return this;
    }

    public DuckDbAppenderRow AppendBlob(ReadOnlySpan<byte> blob)
    {
        _appender.AppendUtf8(blob, isBlob: true);
        return this;
    }

    /// <summary>A TIMESTAMP or TIMESTAMPTZ (the DateTime's ticks as they are), or a DATE (its day).</summary>
    public DuckDbAppenderRow Append(DateTime value)
    {
        _appender.AppendTimestamp(DuckDbTime.ToMicros(value), utc: false, "DateTime");
        return this;
    }

    /// <summary>A TIMESTAMPTZ or TIMESTAMP, as the UTC instant.</summary>
    public DuckDbAppenderRow Append(DateTimeOffset value)
    {
        _appender.AppendTimestamp(DuckDbTime.ToMicros(value), utc: true, "DateTimeOffset");
        return this;
    }

    public DuckDbAppenderRow Append(DateOnly value)
    {
        _appender.AppendDate(value);
        return this;
    }

    public DuckDbAppenderRow Append(Guid value)
    {
        _appender.AppendGuid(value);
        return this;
    }

    /// <summary>
    /// A STRUCT whose fields are all integers, one value per field in order (null for a NULL field); for a NULL struct,
    /// use <see cref="AppendNull"/>. A value outside its field's range throws, as for a column.
    /// </summary>
    public DuckDbAppenderRow AppendIntegerStruct(scoped ReadOnlySpan<long?> fields)
    {
        _appender.AppendIntegerStruct(fields);
        return this;
    }

    /// <summary>A LIST of VARCHAR; null appends a null list.</summary>
    public DuckDbAppenderRow Append(IReadOnlyList<string?>? values)
    {
        if (values is null)
        {
            _appender.AppendNull();
        }
        else
        {
            _appender.AppendStringList(values);
        }

        return this;
    }

    public void EndRow() => _appender.EndRow();
}
