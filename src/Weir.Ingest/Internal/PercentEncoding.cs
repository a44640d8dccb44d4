namespace Weir.Ingest.Internal;

/// <summary>Form and query-string decoding shared by the pixel and PostHog's form bodies.</summary>
internal static class PercentEncoding
{
    /// <summary>
    /// Decodes <paramref name="raw"/> into <paramref name="destination"/> (at least as long): <c>+</c> is a space and
    /// <c>%XX</c> a byte; malformed escapes stay as they are. Returns the decoded length.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> raw, Span<byte> destination)
    {
        var n = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var b = raw[i];
            if (b == '+')
            {
                destination[n++] = (byte)' ';
            }
            else if (b == '%' && i + 2 < raw.Length && IsHex(raw[i + 1]) && IsHex(raw[i + 2]))
            {
                destination[n++] = (byte)((Hex(raw[i + 1]) << 4) | Hex(raw[i + 2]));
                i += 2;
            }
            else
            {
                destination[n++] = b;
            }
        }

        return n;
    }

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

    private static int Hex(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
