using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Weir.Server.Ingest;

namespace Weir.Server.Endpoints;

/// <summary>
/// The routes other products' SDKs call, so they work unchanged when pointed at Weir: Plausible's
/// <c>POST /api/event</c>; PostHog's capture endpoints (<c>/e/</c>, <c>/i/v0/e/</c>, <c>/capture/</c>,
/// <c>/batch/</c>, each also without the slash) with the configuration and flags posthog-js asks for at start-up; and
/// the settings analytics.js loads (<c>GET /v1/projects/{writeKey}/settings</c>). Segment's one-letter paths
/// (<c>/v1/t</c>, <c>/v1/b</c> …) are the Segment route's own. Each has its CORS preflight.
/// </summary>
internal static class CompatEndpoints
{
    // Routing matches a path with or without its trailing slash, so each is mapped once: /e serves /e/ too.
    private static readonly string[] PosthogCapturePaths = ["/e", "/i/v0/e", "/capture", "/batch"];

    private static readonly string[] PosthogFlagsPaths = ["/flags", "/decide"];

    public static void MapCompatEndpoints(this IEndpointRouteBuilder endpoints, IngestHandler handler)
    {
        endpoints.MapPost("/api/event", new RequestDelegate(handler.HandlePlausibleAsync));
        endpoints.MapMethods("/api/event", [HttpMethods.Options], IngestCors.Preflight);

        foreach (var path in PosthogCapturePaths)
        {
            endpoints.MapPost(path, new RequestDelegate(handler.HandlePosthogAsync));
            endpoints.MapMethods(path, [HttpMethods.Options], IngestCors.Preflight);
        }

        foreach (var path in PosthogFlagsPaths)
        {
            endpoints.MapMethods(path, [HttpMethods.Post, HttpMethods.Get], new RequestDelegate(handler.HandlePosthogFlagsAsync));
            endpoints.MapMethods(path, [HttpMethods.Options], IngestCors.Preflight);
        }

        endpoints.MapGet("/array/{token}/{file}", http =>
        {
            var token = (string)http.Request.RouteValues["token"]!;
            return (http.Request.RouteValues["file"] as string) switch
            {
                "config" => handler.HandlePosthogConfigAsync(http, token, script: false),
                "config.js" => handler.HandlePosthogConfigAsync(http, token, script: true),
                var file => ApiError.Result(StatusCodes.Status404NotFound, $"there is no PostHog asset '{file}'; Weir serves config and config.js", "file").ExecuteAsync(http),
            };
        });

        endpoints.MapGet("/v1/projects/{writeKey}/settings", http =>
            handler.HandleSegmentSettingsAsync(http, (string)http.Request.RouteValues["writeKey"]!));
    }
}
