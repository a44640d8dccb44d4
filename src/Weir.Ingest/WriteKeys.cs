using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Weir.Ingest;

/// <summary>Where a request's write key comes from, other than the body.</summary>
public static class WriteKeys
{
    private const int MaxHeaderLength = 4096;

    /// <summary>
    /// Reads the write key from an <c>Authorization: Basic …</c> header, where Segment's SDKs put it as the user name
    /// (the password is empty and ignored). The scheme is case-insensitive. False for any other header, bad base64,
    /// bad UTF-8 or an empty user name.
    /// </summary>
    public static bool TryParseBasic(string? authorizationHeader, [NotNullWhen(true)] out string? key)
    {
        key = null;
        if (authorizationHeader is null || authorizationHeader.Length > MaxHeaderLength)
        {
            return false;
        }

        var header = authorizationHeader.AsSpan().Trim();
        if (header.Length < 7 || !header[..5].Equals("Basic", StringComparison.OrdinalIgnoreCase) || header[5] != ' ')
        {
            return false;
        }

        var encoded = header[6..].Trim();
        Span<byte> ascii = stackalloc byte[encoded.Length];
        for (var i = 0; i < encoded.Length; i++)
        {
            if (encoded[i] > 0x7F)
            {
                return false;
            }

            ascii[i] = (byte)encoded[i];
        }

        Span<byte> decoded = stackalloc byte[Base64.GetMaxDecodedFromUtf8Length(ascii.Length)];
        if (Base64.DecodeFromUtf8(ascii, decoded, out _, out var written) != OperationStatus.Done)
        {
            return false;
        }

        var credentials = decoded[..written];
        var colon = credentials.IndexOf((byte)':');
        var user = colon < 0 ? credentials : credentials[..colon];
        if (user.IsEmpty || !System.Text.Unicode.Utf8.IsValid(user))
        {
            return false;
        }

        key = Encoding.UTF8.GetString(user);
        return true;
    }
}
