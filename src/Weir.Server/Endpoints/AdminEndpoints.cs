using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Weir.Server.Admin;

namespace Weir.Server.Endpoints;

/// <summary>The admin and query API under <c>/api/v1</c>: every route needs the admin bearer token.</summary>
internal static class AdminEndpoints
{
    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder endpoints, AdminToken token)
    {
        var api = endpoints.MapGroup("/api/v1");
        api.AddEndpointFilter(async (context, next) =>
            token.Accepts(context.HttpContext.Request.Headers.Authorization)
                ? await next(context).ConfigureAwait(false)
                : ApiError.Result(StatusCodes.Status401Unauthorized, "this API needs the admin token: send 'Authorization: Bearer <token>'", "Authorization"));
        return api;
    }
}
