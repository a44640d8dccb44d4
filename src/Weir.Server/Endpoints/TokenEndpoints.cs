using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Weir.Core.Sites;
using Weir.Server.Auth;

namespace Weir.Server.Endpoints;

/// <summary><c>POST /api/v1/tokens</c> (admin only): a read token for some sites, shown once.</summary>
internal static class TokenEndpoints
{
    private const int MaxBodyBytes = 16 * 1024;

    public static void MapTokenEndpoints(this RouteGroupBuilder api, ReadTokens tokens, SiteStore sites, TimeProvider time)
    {
        api.MapPost("/tokens", async (HttpRequest request) =>
        {
            var (body, invalid) = await ApiBody.ReadAsync(request, ApiJsonContext.Default.CreateTokenRequest, MaxBodyBytes, "the body is not a valid token request").ConfigureAwait(false);
            if (invalid is not null)
            {
                return invalid;
            }

            if (body is null)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, "the body must be a JSON object such as {\"sites\":[\"<site id>\"],\"scope\":\"read\"}");
            }

            if (body.Scope != ReadTokens.ReadScope)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, $"scope must be \"{ReadTokens.ReadScope}\"", "scope");
            }

            if (body.Sites is not { Count: > 0 } wanted)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, "sites must list at least one site id", "sites");
            }

            foreach (var id in wanted)
            {
                if (id is null || !sites.TryGetById(id, out _))
                {
                    return ApiError.Result(StatusCodes.Status400BadRequest, $"sites names {id ?? "null"}, which is no site", "sites");
                }
            }

            var distinct = wanted.OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
            var now = time.GetUtcNow();
            var token = tokens.Create(distinct, now);
            return Results.Json(new TokenResponse(token, distinct, ReadTokens.ReadScope, now), ApiJsonContext.Default.TokenResponse, statusCode: StatusCodes.Status201Created);
        });
    }
}

[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
internal sealed record CreateTokenRequest(IReadOnlyList<string?>? Sites, string? Scope);

internal sealed record TokenResponse(string Token, IReadOnlyList<string> Sites, string Scope, DateTimeOffset CreatedAt);
