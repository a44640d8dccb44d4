using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Weir.Core.Events;
using Weir.Ingest.Segment;
using Weir.Server.Ingest;

namespace Weir.Server.Endpoints;

/// <summary>
/// Ingest routes: <c>POST /v1/{track,page,screen,identify,group,alias,batch}</c> (Segment's HTTP Tracking API, and
/// <c>/v1/import</c> as Segment's alias of batch), their CORS preflights, <c>GET /p.gif</c>, and <c>POST /api/t</c>, the
/// browser tracker's Segment batches (text/plain, so browsers send them without a preflight).
/// </summary>
/// <remarks>
/// The routes are plain <see cref="RequestDelegate"/>s: no parameter binding, no generated request delegate, no
/// <see cref="IResult"/> per request on the hot path.
/// </remarks>
internal static class IngestEndpoints
{
    public static void MapIngestEndpoints(this IEndpointRouteBuilder endpoints, IngestHandler handler)
    {
        endpoints.MapPost("/v1/{call}", http =>
        {
            var call = http.Request.RouteValues["call"] as string;
            return SegmentCalls.TryParse(call, out var parsed) || TryAlias(call, out parsed)
                ? handler.HandleSegmentAsync(http, parsed)
                : ApiError.Result(StatusCodes.Status404NotFound, $"there is no ingest call '{call}'; use track, page, screen, identify, group, alias or batch", "call").ExecuteAsync(http);
        });
        endpoints.MapMethods("/v1/{call}", [HttpMethods.Options], IngestCors.Preflight);
        endpoints.MapGet("/p.gif", new RequestDelegate(handler.HandlePixelAsync));
        endpoints.MapPost("/api/t", http => handler.HandleSegmentAsync(http, SegmentCall.Batch, EventProtocol.Tracker));
    }

    private static bool TryAlias(string? call, out SegmentCall parsed)
    {
        parsed = SegmentCall.Batch;
        return string.Equals(call, "import", StringComparison.OrdinalIgnoreCase);
    }
}
