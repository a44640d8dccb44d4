using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Weir.Core.Sites;
using Weir.Server.Admin;
using Weir.Server.Endpoints;

namespace Weir.Server.Auth;

/// <summary>
/// Who may read what, for the query endpoints: the admin token reads every site, a read token the sites it was made
/// for. Read tokens open nothing else: the admin API checks the admin token alone.
/// </summary>
public sealed class ReadAccess
{
    private const string Scheme = "Bearer ";

    private readonly AdminToken _admin;
    private readonly ReadTokens _tokens;
    private readonly SiteStore _sites;

    public ReadAccess(AdminToken admin, ReadTokens tokens, SiteStore sites)
    {
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(sites);
        _admin = admin;
        _tokens = tokens;
        _sites = sites;
    }

    /// <summary>
    /// The sites the request may read, narrowed to <paramref name="site"/> when one is asked for; null means every
    /// site (the admin token, no site asked). Otherwise <paramref name="error"/> is the answer to send: 401 without a
    /// valid token, 403 for a site the token may not read, 404 for a site that does not exist.
    /// </summary>
    public bool TryGetSites(HttpContext context, string? site, out IReadOnlyList<string>? sites, [NotNullWhen(false)] out IResult? error)
    {
        ArgumentNullException.ThrowIfNull(context);
        sites = null;
        string? authorization = context.Request.Headers.Authorization;
        IReadOnlyList<string>? allowed;
        if (_admin.Accepts(authorization))
        {
            allowed = null;
        }
        else if (authorization is not null && authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
                 && _tokens.SitesOf(authorization[Scheme.Length..].Trim()) is { } readable)
        {
            allowed = readable;
        }
        else
        {
            error = ApiError.Result(StatusCodes.Status401Unauthorized,
                "this API needs the admin token or a read token: send 'Authorization: Bearer <token>'", "Authorization");
            return false;
        }

        if (site is null)
        {
            sites = allowed;
            error = null;
            return true;
        }

        if (allowed is not null && !allowed.Contains(site, StringComparer.Ordinal))
        {
            error = ApiError.Result(StatusCodes.Status403Forbidden, $"this token may not read the site {site}", "site");
            return false;
        }

        if (!_sites.TryGetById(site, out _))
        {
            error = ApiError.Result(StatusCodes.Status404NotFound, $"there is no site {site}", "site");
            return false;
        }

        sites = [site];
        error = null;
        return true;
    }
}
