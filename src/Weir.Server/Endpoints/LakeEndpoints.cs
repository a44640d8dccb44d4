using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Weir.Lake.Catalog;

namespace Weir.Server.Endpoints;

/// <summary>
/// The lake's admin surface: <c>GET /api/v1/schema</c> (what each site has sent), <c>GET /api/v1/lake</c> (files,
/// watermark, loader counters) and <c>POST /api/v1/maintenance/flush</c>.
/// </summary>
internal static class LakeEndpoints
{
    public static void MapLakeEndpoints(this RouteGroupBuilder api, Lake.Lake lake)
    {
        api.MapGet("/schema", (string? site_id) =>
        {
            var sites = lake.Catalog.Sites;
            if (site_id is null)
            {
                return Results.Json(new SchemaResponse(sites), ApiJsonContext.Default.SchemaResponse);
            }

            return sites.TryGetValue(site_id, out var schema)
                ? Results.Json(new SchemaResponse(new Dictionary<string, SiteSchema>(StringComparer.Ordinal) { [site_id] = schema }), ApiJsonContext.Default.SchemaResponse)
                : ApiError.Result(StatusCodes.Status404NotFound, $"the lake has no events of site '{site_id}' yet", "site_id");
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
    }
}

/// <summary>The discovered schema of each site: event names, property keys with their types, first and last seen, counts.</summary>
internal sealed record SchemaResponse(IReadOnlyDictionary<string, SiteSchema> Sites);

internal sealed record FlushResponse(long RowsWritten, long Watermark, int Files);

internal sealed record LakeStatusResponse(long Generation, long Watermark, long LoadedPosition, int Files, int Partitions, long FileRows, long FileBytes,
    long HotRows, int PendingDeletes, long Loaded, long Duplicates, long Rejected, long Erased, long Flushes);
