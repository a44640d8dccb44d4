using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Weir.Core.Sites;

namespace Weir.Server.Endpoints;

/// <summary><c>POST /api/v1/sites</c> creates a site and its write key; <c>GET /api/v1/sites</c> lists them.</summary>
internal static class SiteEndpoints
{
    private const int MaxBodyBytes = 16 * 1024;

    public static void MapSiteEndpoints(this RouteGroupBuilder api, SiteStore sites)
    {
        api.MapGet("/sites", () => Results.Json(Describe(sites.All), ApiJsonContext.Default.IReadOnlyListSiteResponse));
        api.MapPost("/sites", async (HttpRequest request) =>
        {
            var (body, invalid) = await ApiBody.ReadAsync(request, ApiJsonContext.Default.CreateSiteRequest, MaxBodyBytes, "the body is not a valid site").ConfigureAwait(false);
            if (invalid is not null)
            {
                return invalid;
            }

            if (body is null)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, "the body must be a JSON object such as {\"domain\":\"shop.example\",\"timezone\":\"Europe/Berlin\"}");
            }

            try
            {
                var site = sites.Add(body.Domain, body.Timezone, body.AllowedOrigins, body.RetentionDays);
                return Results.Json(SiteResponse.From(site), ApiJsonContext.Default.SiteResponse, statusCode: StatusCodes.Status201Created);
            }
            catch (SiteValidationException ex)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, ex.Message, ex.Field);
            }
        });
        api.MapPatch("/sites/{id}", async (string id, HttpRequest request) =>
        {
            var (body, invalid) = await ApiBody.ReadAsync(request, ApiJsonContext.Default.UpdateSiteRequest, MaxBodyBytes, "the body is not a valid site change").ConfigureAwait(false);
            if (invalid is not null)
            {
                return invalid;
            }

            if (body is null)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, "the body must be a JSON object such as {\"retentionDays\":400}");
            }

            // An empty object changes nothing rather than reading as "retentionDays: null", which would keep everything.
            if (!body.HasRetentionDays)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest,
                    "the body names no setting to change: give {\"retentionDays\":400}, or {\"retentionDays\":null} to keep everything", "retentionDays");
            }

            try
            {
                var site = sites.SetRetention(id, body.RetentionDays);
                return Results.Json(SiteResponse.From(site), ApiJsonContext.Default.SiteResponse);
            }
            catch (KeyNotFoundException ex)
            {
                return ApiError.Result(StatusCodes.Status404NotFound, ex.Message);
            }
            catch (SiteValidationException ex)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, ex.Message, ex.Field);
            }
        });
    }

    private static SiteResponse[] Describe(IReadOnlyList<Site> sites)
    {
        var result = new SiteResponse[sites.Count];
        for (var i = 0; i < sites.Count; i++)
        {
            result[i] = SiteResponse.From(sites[i]);
        }

        return result;
    }
}

[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
internal sealed record CreateSiteRequest(string? Domain, string? Timezone, IReadOnlyList<string>? AllowedOrigins, int? RetentionDays);

/// <summary>The settings <c>PATCH /api/v1/sites/{id}</c> changes; today only retention. A setting the body leaves out is not changed.</summary>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
internal sealed class UpdateSiteRequest
{
    /// <summary>Days of events the lake keeps; null keeps everything.</summary>
    public int? RetentionDays
    {
        get;
        set
        {
            field = value;
            HasRetentionDays = true;
        }
    }

    /// <summary>Whether the body named <see cref="RetentionDays"/>, even as null; the serializer sets it only then.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool HasRetentionDays { get; private set; }
}

internal sealed record SiteResponse(string Id, string Domain, string Timezone, string WriteKey, IReadOnlyList<string> AllowedOrigins, DateTimeOffset CreatedAt, int? RetentionDays)
{
    public static SiteResponse From(Site site) =>
        new(site.Id, site.Domain, site.Timezone, site.WriteKey, site.AllowedOrigins, site.CreatedAt, site.RetentionDays);
}
