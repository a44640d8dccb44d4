using Microsoft.AspNetCore.Http;
using Weir.Core.Sites;

namespace Weir.Server.Ingest;

/// <summary>
/// Cross-origin rules for ingest. A preflight carries no write key, so it is answered for any origin; the real
/// request is then refused (403) when its site lists allowed origins and the request's origin is not one of them.
/// Responses, refusals included, name the request's origin (never a wildcard) and vary on it.
/// </summary>
internal static class IngestCors
{
    private const string AllowedHeaders = "Content-Type, Authorization, Content-Encoding";

    public static IResult Preflight(HttpContext http)
    {
        var headers = http.Response.Headers;
        var origin = http.Request.Headers.Origin;
        headers.AccessControlAllowOrigin = origin.Count > 0 ? origin : "*";
        headers.AccessControlAllowMethods = "POST, GET, OPTIONS";
        var requested = http.Request.Headers.AccessControlRequestHeaders;
        headers.AccessControlAllowHeaders = requested.Count > 0 ? requested : AllowedHeaders;
        headers.AccessControlMaxAge = "86400";
        headers.Vary = "Origin";
        return Results.NoContent();
    }

    /// <summary>True when the request may be taken; sets the response's CORS headers when it carries an origin.</summary>
    public static bool OriginAllowed(HttpContext http, Site site)
    {
        var origin = http.Request.Headers.Origin;
        if (origin.Count == 0)
        {
            return true; // not a browser's cross-origin request: SDKs, servers, curl
        }

        // Also on the refusal: a browser script then reads the 403 as final, instead of as a network error that
        // weir.js would keep retrying. The answer says no more than that the origin is refused.
        var value = origin.ToString();
        http.Response.Headers.AccessControlAllowOrigin = value;
        http.Response.Headers.Vary = "Origin";
        return site.AllowedOrigins.Count == 0 || Contains(site.AllowedOrigins, value);
    }

    private static bool Contains(IReadOnlyList<string> origins, string origin)
    {
        foreach (var allowed in origins)
        {
            if (string.Equals(allowed, origin, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
