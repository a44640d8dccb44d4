using System.Security.Cryptography;
using System.Text;
using Weir.Core.IO;

namespace Weir.Server.Admin;

/// <summary>
/// The bearer token for the admin API. It comes from <c>WEIR_ADMIN_TOKEN</c>; without it, Weir generates one on
/// first start, saves it to <c>&lt;data&gt;/admin-token</c> readable by the owner only, and reuses it afterwards.
/// </summary>
public sealed class AdminToken
{
    public const string FileName = "admin-token";

    private readonly byte[] _utf8;

    private AdminToken(string value, bool generated)
    {
        Value = value;
        WasGenerated = generated;
        _utf8 = Encoding.UTF8.GetBytes(value);
    }

    public string Value { get; }

    /// <summary>True when this start created the token, so the host shows it once.</summary>
    public bool WasGenerated { get; }

    public static AdminToken Resolve(string? fromEnvironment, string dataDirectory)
    {
        if (fromEnvironment is not null)
        {
            return new AdminToken(fromEnvironment, generated: false);
        }

        var path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path))
        {
            var saved = File.ReadAllText(path).Trim();
            if (saved.Length > 0)
            {
                return new AdminToken(saved, generated: false);
            }
        }

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        DurableFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(token + "\n"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return new AdminToken(token, generated: true);
    }

    /// <summary>Checks an <c>Authorization</c> header in constant time, so timing reveals nothing of the token.</summary>
    public bool Accepts(string? authorization)
    {
        const string Scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = authorization.AsSpan(Scheme.Length).Trim();
        Span<byte> buffer = stackalloc byte[256];
        if (Encoding.UTF8.GetMaxByteCount(presented.Length) > buffer.Length)
        {
            return false;
        }

        var length = Encoding.UTF8.GetBytes(presented, buffer);
        return CryptographicOperations.FixedTimeEquals(buffer[..length], _utf8);
    }
}
