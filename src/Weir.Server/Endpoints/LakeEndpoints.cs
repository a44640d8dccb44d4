using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Weir.Core.Sites;
using Weir.Lake;
using Weir.Lake.Catalog;
using Weir.Lake.Maintenance;

namespace Weir.Server.Endpoints;

/// <summary>
/// The lake's admin surface: <c>GET /api/v1/schema</c> (what each site has sent), <c>GET /api/v1/lake</c> (files,
/// watermark, loader counters), <c>POST /api/v1/maintenance/flush</c> and <c>/compact</c>, and erasure jobs
/// (<c>POST /api/v1/erasure</c>, <c>GET /api/v1/erasure/{id}</c>).
/// </summary>
internal static class LakeEndpoints
{
    private const int MaxBodyBytes = 16 * 1024;

    /// <summary>The longest identifier an erasure takes, as <see cref="Lake.Lake.RequestErasure"/> checks it.</summary>
    private const int MaxIdentifierLength = Lake.Lake.MaxErasureIdentifierLength;

    public static void MapLakeEndpoints(this RouteGroupBuilder api, Lake.Lake lake, SiteStore registry)
    {
        api.MapGet("/schema", (string? site_id) =>
        {
            var sites = lake.Catalog.Sites;
            if (site_id is null)
            {
                return Results.Json(new SchemaResponse(sites), ApiJsonContext.Default.SchemaResponse);
            }

            if (!sites.TryGetValue(site_id, out var schema))
            {
                if (!registry.TryGetById(site_id, out _))
                {
                    return ApiError.Result(StatusCodes.Status404NotFound, $"there is no site with id '{site_id}'", "site_id");
                }

                // A site whose events have not reached a Parquet file yet: the schema grows at each flush.
                schema = SiteSchema.Empty;
            }

            return Results.Json(new SchemaResponse(new Dictionary<string, SiteSchema>(StringComparer.Ordinal) { [site_id] = schema }), ApiJsonContext.Default.SchemaResponse);
        });

        api.MapGet("/lake", () =>
        {
            var catalog = lake.Catalog;
            long rows = 0, bytes = 0;
            foreach (var file in catalog.Files)
            {
                rows += file.Rows;
                bytes += file.Bytes;
            }

            var counters = lake.Counters;
            return Results.Json(new LakeStatusResponse(catalog.Generation, catalog.Watermark, lake.LoadedPosition, catalog.Files.Count, catalog.Partitions.Count,
                rows, bytes, lake.HotRows, catalog.PendingDeletes.Count, counters.Loaded, counters.Duplicates, counters.Rejected, counters.Erased, counters.Flushes),
                ApiJsonContext.Default.LakeStatusResponse);
        });

        api.MapPost("/maintenance/flush", async () =>
        {
            var rows = await lake.FlushAsync().ConfigureAwait(false);
            return Results.Json(new FlushResponse(rows, lake.Catalog.Watermark, lake.Catalog.Files.Count), ApiJsonContext.Default.FlushResponse);
        });

        api.MapPost("/maintenance/compact", async (HttpContext context) =>
        {
            var summary = await lake.CompactAsync(context.RequestAborted).ConfigureAwait(false);
            return Results.Json(new CompactResponse(summary.Partitions, summary.FilesIn, summary.FilesOut, summary.DuplicatesDropped, summary.Skipped,
                (long)summary.Duration.TotalMilliseconds), ApiJsonContext.Default.CompactResponse);
        });

        api.MapPost("/erasure", async (HttpRequest request) =>
        {
            var (body, invalid) = await ApiBody.ReadAsync(request, ApiJsonContext.Default.ErasureRequest, MaxBodyBytes, "the body is not a valid erasure request").ConfigureAwait(false);
            if (invalid is not null)
            {
                return invalid;
            }

            if (body is null || (body.UserId is null) == (body.AnonymousId is null))
            {
                return ApiError.Result(StatusCodes.Status400BadRequest,
                    "give exactly one of userId and anonymousId, and optionally siteId, e.g. {\"siteId\":\"abc\",\"userId\":\"u-42\"}");
            }

            if (body.SiteId is not null && !LakeLayout.IsSiteId(body.SiteId))
            {
                return ApiError.Result(StatusCodes.Status400BadRequest,
                    $"'{body.SiteId}' is not a site id: give an id as GET /api/v1/sites lists it (letters, digits, '-' and '_'), or leave siteId out to erase from every site",
                    "siteId");
            }

            if (body.SiteId is not null && !registry.TryGetById(body.SiteId, out _))
            {
                return ApiError.Result(StatusCodes.Status404NotFound, $"there is no site with id '{body.SiteId}'", "siteId");
            }

            var (field, name, value) = body.UserId is not null
                ? (ErasureField.UserId, "userId", body.UserId)
                : (ErasureField.AnonymousId, "anonymousId", body.AnonymousId!);
            if (value.Length is 0 or > MaxIdentifierLength)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, $"{name} must have 1 to {MaxIdentifierLength} characters", name);
            }

            try
            {
                var job = lake.RequestErasure(body.SiteId, field, value);
                return Results.Json(ErasureResponse.From(job), ApiJsonContext.Default.ErasureResponse, statusCode: StatusCodes.Status202Accepted);
            }
            catch (ArgumentException ex)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, ex.Message, ex.ParamName == "siteId" ? "siteId" : name);
            }
        });

        api.MapGet("/erasure/{id}", (string id) => lake.GetErasure(id) is { } job
            ? Results.Json(ErasureResponse.From(job), ApiJsonContext.Default.ErasureResponse)
            : ApiError.Result(StatusCodes.Status404NotFound, $"there is no erasure job '{id}'"));
    }
}

/// <summary>The discovered schema of each site: event names, property keys with their types, first and last seen, counts.</summary>
internal sealed record SchemaResponse(IReadOnlyDictionary<string, SiteSchema> Sites);

internal sealed record CompactResponse(int Partitions, int FilesIn, int FilesOut, long DuplicatesDropped, int Skipped, long ElapsedMs);

[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
internal sealed record ErasureRequest(string? SiteId, string? UserId, string? AnonymousId);

internal sealed record ErasureResponse(string Id, string Status, string? SiteId, string Field, DateTimeOffset RequestedAt, DateTimeOffset? CompletedAt,
    long LakeRowsErased, int FilesRewritten, int FilesRemoved, long LogRecordsErased, string? Error)
{
    public static ErasureResponse From(ErasureJob job) => new(job.Id, job.Status.ToString().ToLowerInvariant(), job.SiteId,
        job.Field == ErasureField.UserId ? "userId" : "anonymousId", job.RequestedAt, job.CompletedAt, job.LakeRowsErased, job.FilesRewritten,
        job.FilesRemoved, job.LogRecordsErased, job.Error);
}

internal sealed record FlushResponse(long RowsWritten, long Watermark, int Files);

internal sealed record LakeStatusResponse(long Generation, long Watermark, long LoadedPosition, int Files, int Partitions, long FileRows, long FileBytes,
    long HotRows, int PendingDeletes, long Loaded, long Duplicates, long Rejected, long Erased, long Flushes);
