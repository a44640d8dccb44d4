using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;
using Weir.Server.Tracker;

namespace Weir.Server.Endpoints;

/// <summary>
/// <c>GET /js/weir.js</c>: the browser tracker. The URL carries no version, so browsers keep it a day and then
/// revalidate with its ETag (a 304 costs a few headers); a new Weir version reaches every visitor within a day.
/// </summary>
internal static class TrackerEndpoints
{
    private const string CacheControl = "public, max-age=86400";

    public static IEndpointRouteBuilder MapTrackerEndpoints(this IEndpointRouteBuilder endpoints, TrackerScript script)
    {
        endpoints.MapMethods("/js/weir.js", [HttpMethods.Get, HttpMethods.Head], http => Serve(http, script));
        return endpoints;
    }

    private static Task Serve(HttpContext http, TrackerScript script)
    {
        var request = http.Request;
        var response = http.Response;
        var representation = AcceptsGzip(request.Headers.AcceptEncoding) ? script.Gzip : script.Identity;
        var headers = response.Headers;
        headers.ContentType = "text/javascript; charset=utf-8";
        headers.CacheControl = CacheControl;
        headers.ETag = representation.ETag;
        headers.Vary = "Accept-Encoding";
        headers.XContentTypeOptions = "nosniff";
        // Only for Subresource Integrity: a cross-origin script with integrity= must be fetched with CORS.
        headers.AccessControlAllowOrigin = "*";
        if (Matches(request.Headers.IfNoneMatch, representation.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        if (representation.ContentEncoding is { } encoding)
        {
            headers.ContentEncoding = encoding;
        }

        response.ContentLength = representation.Bytes.Length;
        return HttpMethods.IsHead(request.Method)
            ? Task.CompletedTask
            : response.BodyWriter.WriteAsync(representation.Bytes, http.RequestAborted).AsTask();
    }

    /// <summary>True when Accept-Encoding lists gzip, or * without refusing gzip, with a quality above 0.</summary>
    internal static bool AcceptsGzip(StringValues acceptEncoding)
    {
        bool? gzip = null, any = null;
        foreach (var value in acceptEncoding)
        {
            var rest = value.AsSpan();
            while (!rest.IsEmpty)
            {
                var comma = rest.IndexOf(',');
                var item = (comma < 0 ? rest : rest[..comma]).Trim();
                rest = comma < 0 ? default : rest[(comma + 1)..];
                var semicolon = item.IndexOf(';');
                var coding = (semicolon < 0 ? item : item[..semicolon]).Trim();
                var accepted = semicolon < 0 || !IsZeroQuality(item[(semicolon + 1)..]);
                if (coding.Equals("gzip", StringComparison.OrdinalIgnoreCase))
                {
                    gzip = accepted;
                }
                else if (coding is "*")
                {
                    any = accepted;
                }
            }
        }

        return gzip ?? any ?? false;
    }

    private static bool IsZeroQuality(ReadOnlySpan<char> parameters)
    {
        var parameter = parameters.Trim();
        if (!parameter.StartsWith("q=", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var quality = parameter[2..].Trim();
        return quality.TrimEnd('0').TrimEnd('.') is "0" or "";
    }

    /// <summary>If-None-Match's weak comparison (RFC 9110 13.1.2): a W/ prefix still matches; * matches anything.</summary>
    private static bool Matches(StringValues ifNoneMatch, string etag)
    {
        foreach (var value in ifNoneMatch)
        {
            var rest = value.AsSpan();
            while (!rest.IsEmpty)
            {
                var comma = rest.IndexOf(',');
                var tag = (comma < 0 ? rest : rest[..comma]).Trim();
                rest = comma < 0 ? default : rest[(comma + 1)..];
                if (tag is "*" || (tag.StartsWith("W/") ? tag[2..] : tag).SequenceEqual(etag))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
