namespace Weir.DuckDb;

/// <summary>Conversions between DuckDB's time encodings and .NET's.</summary>
public static class DuckDbTime
{
    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;
    private static readonly long EpochTicks = DateTime.UnixEpoch.Ticks;
    private static readonly int EpochDayNumber = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    // DuckDB encodes infinity as the extreme int64 values; they have no DateTime.
    private const long PositiveInfinity = long.MaxValue;
    private const long NegativeInfinity = -long.MaxValue;

    public static long ToMicros(DateTime value) => (value.Ticks - EpochTicks) / TicksPerMicrosecond;

    public static long ToMicros(DateTimeOffset value) => (value.UtcTicks - EpochTicks) / TicksPerMicrosecond;

    public static DateTime FromMicros(long micros)
    {
        if (micros is PositiveInfinity or NegativeInfinity)
        {
            throw new DuckDbException("The timestamp is infinity, which .NET's DateTime cannot represent; read it as raw microseconds or filter it out.");
        }

        return new DateTime(EpochTicks + (micros * TicksPerMicrosecond), DateTimeKind.Unspecified);
    }

    public static DateTimeOffset FromMicrosUtc(long micros) =>
        new(DateTime.SpecifyKind(FromMicros(micros), DateTimeKind.Utc));

    public static int ToDays(DateOnly value) => value.DayNumber - EpochDayNumber;

    public static DateOnly FromDays(int days) => DateOnly.FromDayNumber(EpochDayNumber + days);
}
