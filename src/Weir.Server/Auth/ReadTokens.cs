using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Weir.Core.IO;
using Weir.Server.Endpoints;

namespace Weir.Server.Auth;

/// <summary>
/// Read tokens: bearer tokens for the query API, each limited to some sites. Only their SHA-256 hashes are kept, in
/// <c>&lt;data&gt;/tokens.json</c> (owner-only), so the file does not give the tokens away.
/// </summary>
public sealed class ReadTokens
{
    public const string FileName = "tokens.json";

    /// <summary>The only scope there is today.</summary>
    public const string ReadScope = "read";

    private readonly string _path;
    private readonly Lock _gate = new();
    private List<StoredReadToken> _tokens;

    private ReadTokens(string path, List<StoredReadToken> tokens)
    {
        _path = path;
        _tokens = tokens;
    }

    public static ReadTokens Open(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        var tokens = File.Exists(path)
            ? JsonSerializer.Deserialize(File.ReadAllBytes(path), ApiJsonContext.Default.ReadTokenFile)?.Tokens.ToList() ?? []
            : [];
        return new ReadTokens(path, tokens);
    }

    /// <summary>Creates a token for <paramref name="sites"/>; returns the token itself, which is not kept.</summary>
    public string Create(IReadOnlyList<string> sites, DateTimeOffset now)
    {
        var token = "wrt_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        lock (_gate)
        {
            var next = new List<StoredReadToken>(_tokens) { new(Hash(token), [.. sites], ReadScope, now) };
            DurableFile.WriteAllBytes(_path, JsonSerializer.SerializeToUtf8Bytes(new ReadTokenFile(next), ApiJsonContext.Default.ReadTokenFile),
                UnixFileMode.UserRead | UnixFileMode.UserWrite);
            _tokens = next;
        }

        return token;
    }

    /// <summary>The sites of the token presented as <paramref name="bearer"/>, or null when it is no read token.</summary>
    public IReadOnlyList<string>? SitesOf(string bearer)
    {
        // Comparing hashes: equal prefixes of the hash tell an attacker nothing about the token.
        var hash = Hash(bearer);
        var tokens = _tokens;
        foreach (var token in tokens)
        {
            if (token.Scope == ReadScope && CryptographicOperations.FixedTimeEquals(Convert.FromHexString(token.Hash), Convert.FromHexString(hash)))
            {
                return token.Sites;
            }
        }

        return null;
    }

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

internal sealed record StoredReadToken(string Hash, IReadOnlyList<string> Sites, string Scope, DateTimeOffset CreatedAt);

internal sealed record ReadTokenFile(IReadOnlyList<StoredReadToken> Tokens);
