using System.Runtime.CompilerServices;
using Weir.Core.Events;

namespace Weir.Lake.Hot;

/// <summary>
/// Reads the record's timestamps. Every writer emits exactly <c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c>, and the loader reads
/// four of them per event, so that shape is read by fixed offsets; anything else goes to the lenient
/// <see cref="EventTime.TryParseIso8601"/>, so a record from another producer still loads.
/// </summary>
internal static class RecordTime
{
    /// <summary>Reads a timestamp as UTC ticks.</summary>
    public static bool TryParseUtcTicks(ReadOnlySpan<byte> text, out long utcTicks)
    {
        if (text.Length == EventTime.FormattedLength && text[4] == '-' && text[7] == '-' && text[10] == 'T' &&
            text[13] == ':' && text[16] == ':' && text[19] == '.' && text[26] == 'Z')
        {
            return TryExact(text, out utcTicks);
        }

        return TryLenient(text, out utcTicks);
    }

    private static bool TryExact(ReadOnlySpan<byte> text, out long utcTicks)
    {
        utcTicks = 0;
        var year = Digits(text, 0, 4);
        var month = Digits(text, 5, 2);
        var day = Digits(text, 8, 2);
        var hour = Digits(text, 11, 2);
        var minute = Digits(text, 14, 2);
        var second = Digits(text, 17, 2);
        var micros = Digits(text, 20, 6);
        // Digits returns -1 for a non-digit, so one range check per part covers both.
        if (year < 1 || (uint)(month - 1) > 11 || day < 1 || day > DateTime.DaysInMonth(year, month) ||
            (uint)hour > 23 || (uint)minute > 59 || (uint)second > 59 || micros < 0)
        {
            return false;
        }

        utcTicks = new DateTime(year, month, day).Ticks + hour * TimeSpan.TicksPerHour +
            minute * TimeSpan.TicksPerMinute + second * TimeSpan.TicksPerSecond + micros * TimeSpan.TicksPerMicrosecond;
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryLenient(ReadOnlySpan<byte> text, out long utcTicks)
    {
        if (EventTime.TryParseIso8601(text, out var value))
        {
            utcTicks = value.UtcTicks;
            return true;
        }

        utcTicks = 0;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Digits(ReadOnlySpan<byte> text, int start, int count)
    {
        var value = 0;
        for (var i = start; i < start + count; i++)
        {
            var digit = (uint)(text[i] - '0');
            if (digit > 9)
            {
                return -1;
            }

            value = value * 10 + (int)digit;
        }

        return value;
    }
}
