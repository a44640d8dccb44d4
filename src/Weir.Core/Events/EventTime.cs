namespace Weir.Core.Events;

/// <summary>
/// The time rules every protocol shares: reading the ISO-8601 variants SDKs send, writing the record's fixed format
/// (UTC, microseconds), and correcting client time.
/// </summary>
public static class EventTime
{
    /// <summary>The length of <see cref="FormatUtf8"/>'s output: <c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c>.</summary>
    public const int FormattedLength = 27;

    /// <summary>
    /// Reads an ISO-8601 / RFC 3339 date-time: <c>yyyy-MM-dd</c>, then optionally <c>T</c> (or a space) and
    /// <c>HH:mm</c>, <c>:ss</c>, a fraction of 1 to 9 digits (beyond 100 ns truncated), and a zone <c>Z</c>,
    /// <c>±HH:mm</c>, <c>±HHmm</c> or <c>±HH</c>. Without a zone the time is taken as UTC. The result has offset zero.
    /// </summary>
    public static bool TryParseIso8601(ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        if (text.Length == FormattedLength && text[4] == '-' && text[7] == '-' && text[10] == 'T' && text[13] == ':' &&
            text[16] == ':' && text[19] == '.' && text[26] == 'Z')
        {
            return TryParseRecordFormat(text, out value);
        }

        value = default;
        if (text.Length < 10 || !TryDigits(text, 0, 4, out var year) || text[4] != '-' ||
            !TryDigits(text, 5, 2, out var month) || text[7] != '-' || !TryDigits(text, 8, 2, out var day))
        {
            return false;
        }

        if (year < 1 || month < 1 || month > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        int hour = 0, minute = 0, second = 0;
        long fractionTicks = 0;
        var i = 10;
        if (i < text.Length && (text[i] == 'T' || text[i] == 't' || text[i] == ' '))
        {
            if (text.Length < i + 6 || !TryDigits(text, i + 1, 2, out hour) || text[i + 3] != ':' ||
                !TryDigits(text, i + 4, 2, out minute))
            {
                return false;
            }

            i += 6;
            if (i < text.Length && text[i] == ':')
            {
                if (!TryDigits(text, i + 1, 2, out second))
                {
                    return false;
                }

                i += 3;
                if (i < text.Length && (text[i] == '.' || text[i] == ','))
                {
                    i++;
                    var start = i;
                    long scale = TimeSpan.TicksPerSecond;
                    while (i < text.Length && (uint)(text[i] - '0') <= 9)
                    {
                        scale /= 10;
                        fractionTicks += (text[i] - '0') * scale;
                        i++;
                    }

                    if (i == start || i - start > 9)
                    {
                        return false;
                    }
                }
            }

            if (hour > 23 || minute > 59 || second > 59)
            {
                return false;
            }
        }

        var offsetMinutes = 0;
        if (i < text.Length)
        {
            var c = text[i];
            if (c == 'Z' || c == 'z')
            {
                i++;
            }
            else if (c == '+' || c == '-')
            {
                if (!TryDigits(text, i + 1, 2, out var offHour))
                {
                    return false;
                }

                var offMinute = 0;
                i += 3;
                if (i < text.Length && text[i] == ':')
                {
                    if (!TryDigits(text, i + 1, 2, out offMinute))
                    {
                        return false;
                    }

                    i += 3;
                }
                else if (i + 1 < text.Length && TryDigits(text, i, 2, out offMinute))
                {
                    i += 2;
                }

                if (offHour > 14 || offMinute > 59)
                {
                    return false;
                }

                offsetMinutes = (offHour * 60 + offMinute) * (c == '-' ? -1 : 1);
            }
            else
            {
                return false;
            }
        }

        if (i != text.Length)
        {
            return false;
        }

        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).Ticks + fractionTicks;
        var utc = local - offsetMinutes * TimeSpan.TicksPerMinute;
        if (utc < DateTime.MinValue.Ticks || utc > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        value = new DateTimeOffset(utc, TimeSpan.Zero);
        return true;
    }

    /// <summary>
    /// The shape every record timestamp has (<see cref="FormatUtf8"/>'s), read at fixed offsets: the loader reads four
    /// per event.
    /// </summary>
    private static bool TryParseRecordFormat(ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        value = default;
        if (!TryDigits(text, 0, 4, out var year) || !TryDigits(text, 5, 2, out var month) || !TryDigits(text, 8, 2, out var day) ||
            !TryDigits(text, 11, 2, out var hour) || !TryDigits(text, 14, 2, out var minute) ||
            !TryDigits(text, 17, 2, out var second) || !TryDigits(text, 20, 6, out var micros))
        {
            return false;
        }

        if (year < 1 || (uint)(month - 1) > 11 || day < 1 || day > DateTime.DaysInMonth(year, month) ||
            hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        value = new DateTimeOffset(new DateTime(year, month, day).Ticks + hour * TimeSpan.TicksPerHour +
            minute * TimeSpan.TicksPerMinute + second * TimeSpan.TicksPerSecond + micros * TimeSpan.TicksPerMicrosecond, TimeSpan.Zero);
        return true;
    }

    /// <summary>Writes <paramref name="value"/> in UTC as <c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c> (27 bytes).</summary>
    public static int FormatUtf8(DateTimeOffset value, Span<byte> destination)
    {
        if (destination.Length < FormattedLength)
        {
            throw new ArgumentException("The destination needs 27 bytes.", nameof(destination));
        }

        // One date computation (Year, Month and Day would each redo it from the ticks) and integer arithmetic for the
        // time of day: this runs for four timestamps of every event.
        var utc = value.UtcDateTime;
        utc.Deconstruct(out int year, out int month, out int day);
        var ofDay = utc.Ticks % TimeSpan.TicksPerDay;
        var seconds = (int)(ofDay / TimeSpan.TicksPerSecond);
        Write(destination, 0, year, 4);
        destination[4] = (byte)'-';
        Write(destination, 5, month, 2);
        destination[7] = (byte)'-';
        Write(destination, 8, day, 2);
        destination[10] = (byte)'T';
        Write(destination, 11, seconds / 3600, 2);
        destination[13] = (byte)':';
        Write(destination, 14, seconds / 60 % 60, 2);
        destination[16] = (byte)':';
        Write(destination, 17, seconds % 60, 2);
        destination[19] = (byte)'.';
        Write(destination, 20, (int)(ofDay % TimeSpan.TicksPerSecond / 10), 6);
        destination[26] = (byte)'Z';
        return FormattedLength;
    }

    /// <summary>The record format of <paramref name="value"/> as a string (tests and diagnostics).</summary>
    public static string Format(DateTimeOffset value)
    {
        Span<byte> buffer = stackalloc byte[FormattedLength];
        FormatUtf8(value, buffer);
        return System.Text.Encoding.ASCII.GetString(buffer);
    }

    /// <summary>Truncates to whole microseconds, the precision of the record and of TIMESTAMPTZ.</summary>
    public static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - value.UtcTicks % 10, TimeSpan.Zero);

    /// <summary>
    /// The corrected event time: <c>received − (sent − client)</c> when the client sent both times, the client's time
    /// when it sent no <c>sentAt</c>, and <paramref name="receivedAt"/> when it sent no time. A result later than
    /// <paramref name="receivedAt"/> + <paramref name="futureTolerance"/>, or outside the range of dates, becomes
    /// <paramref name="receivedAt"/> and <paramref name="clamped"/> is set.
    /// </summary>
    public static DateTimeOffset Correct(
        DateTimeOffset receivedAt,
        DateTimeOffset? sentAt,
        DateTimeOffset? clientTimestamp,
        TimeSpan futureTolerance,
        out bool clamped)
    {
        clamped = false;
        if (clientTimestamp is not { } client)
        {
            return receivedAt;
        }

        var ticks = sentAt is { } sent
            ? receivedAt.UtcTicks - (sent.UtcTicks - client.UtcTicks)
            : client.UtcTicks;
        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks ||
            ticks > receivedAt.UtcTicks + futureTolerance.Ticks)
        {
            clamped = true;
            return receivedAt;
        }

        return new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    private static bool TryDigits(ReadOnlySpan<byte> text, int start, int count, out int value)
    {
        value = 0;
        if (start + count > text.Length)
        {
            return false;
        }

        for (var i = start; i < start + count; i++)
        {
            var d = (uint)(text[i] - '0');
            if (d > 9)
            {
                return false;
            }

            value = value * 10 + (int)d;
        }

        return true;
    }

    private static void Write(Span<byte> destination, int start, int value, int digits)
    {
        for (var i = start + digits - 1; i >= start; i--)
        {
            destination[i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }
}
