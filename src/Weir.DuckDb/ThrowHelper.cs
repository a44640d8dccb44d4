using System.Diagnostics.CodeAnalysis;

namespace Weir.DuckDb;

/// <summary>Throw sites kept out of line so the readers and the appender stay small enough to inline.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    internal static void WrongType(DuckDbColumnType type, string wanted) =>
        throw new DuckDbException($"A {type.SqlName} column cannot be read as {wanted}.");

    [DoesNotReturn]
    internal static T WrongType<T>(DuckDbColumnType type, string wanted) =>
        throw new DuckDbException($"A {type.SqlName} column cannot be read as {wanted}.");

    [DoesNotReturn]
    internal static void RowOutOfRange(int row, int length) =>
        throw new ArgumentOutOfRangeException(nameof(row), row, $"The vector holds {length} values.");

    [DoesNotReturn]
    internal static void CannotAppend(int column, DuckDbColumnType type, string given) =>
        throw new DuckDbException($"Column {column} is {type.SqlName}; a {given} cannot be appended to it.");
}
