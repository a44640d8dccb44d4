using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Weir.Core.Sites;
using Weir.Query;
using Weir.Query.Execution;
using Weir.Query.Funnels;
using Weir.Query.Retention;
using Weir.Query.Stats;
using Weir.Query.Visits;
using Weir.Server.Auth;

namespace Weir.Server.Endpoints;

/// <summary>
/// <c>POST /api/v1/stats</c>, <c>/api/v1/funnels</c> and <c>/api/v1/retention</c> (docs/api.md): the body names one
/// site, which the token must be allowed to read; every error is a 400 that names the field at fault.
/// </summary>
internal static class ReportEndpoints
{
    private const int MaxBodyBytes = 64 * 1024;

    public static void MapReportEndpoints(this IEndpointRouteBuilder endpoints, ReadAccess access, SiteStore sites, IQuerySource source, TimeProvider time)
    {
        var visits = new VisitStore(source);
        var stats = new StatsEngine(source, visits);
        var funnels = new FunnelEngine(source, visits);
        var retention = new RetentionEngine(source, visits);
        string? TimeZoneOf(string id) => sites.TryGetById(id, out var site) ? site.Timezone : null;

        endpoints.MapPost("/api/v1/stats", context => Answer(context, access, body =>
        {
            var result = stats.Run(StatsRequestParser.Parse(body, TimeZoneOf, time.GetUtcNow()));
            return result.WriteJson;
        }));
        endpoints.MapPost("/api/v1/funnels", context => Answer(context, access, body =>
        {
            var result = funnels.Run(FunnelRequestParser.Parse(body, TimeZoneOf, time.GetUtcNow()));
            return result.WriteJson;
        }));
        endpoints.MapPost("/api/v1/retention", context => Answer(context, access, body =>
        {
            var result = retention.Run(RetentionRequestParser.Parse(body, TimeZoneOf, time.GetUtcNow()));
            return result.WriteJson;
        }));
    }

    private static async Task Answer(HttpContext context, ReadAccess access, Func<JsonElement, Action<Utf8JsonWriter>> run)
    {
        var result = await AnswerAsync(context, access, run).ConfigureAwait(false);
        await result.ExecuteAsync(context).ConfigureAwait(false);
    }

    private static async Task<IResult> AnswerAsync(HttpContext context, ReadAccess access, Func<JsonElement, Action<Utf8JsonWriter>> run)
    {
        var (document, invalid) = await ApiBody.ParseAsync(context.Request, MaxBodyBytes).ConfigureAwait(false);
        if (document is null)
        {
            return invalid!;
        }

        using (document)
        {
            var body = document.RootElement;
            // The site is checked first, so a token learns nothing of a site it may not read (not even whether it exists).
            var site = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("site_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            if (site is not null && !access.TryGetSites(context, site, out _, out var denied))
            {
                return denied;
            }

            if (site is null && !access.TryGetSites(context, null, out _, out var unauthorised))
            {
                return unauthorised;
            }

            try
            {
                // DuckDB blocks the calling thread for the whole query; the engines' time limit bounds how long.
                var write = await Task.Run(() => run(body), context.RequestAborted).ConfigureAwait(false);
                var buffer = new ArrayBufferWriter<byte>();
                using (var json = new Utf8JsonWriter(buffer, JsonValueWriter.Options))
                {
                    write(json);
                }

                return Results.Bytes(buffer.WrittenMemory, "application/json");
            }
            catch (QueryRequestException ex)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, ex.Message, ex.Field.Length > 0 ? ex.Field : null);
            }
        }
    }
}
