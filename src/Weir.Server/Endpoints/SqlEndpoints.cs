using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Weir.DuckDb;
using Weir.Query.Execution;
using Weir.Query.Sql;
using Weir.Server.Auth;

namespace Weir.Server.Endpoints;

/// <summary><c>POST /api/v1/sql</c>: sandboxed read-only SQL over <c>events</c> and <c>sessions</c> (docs/api.md).</summary>
internal static class SqlEndpoints
{
    private const int MaxBodyBytes = 256 * 1024;

    public static void MapSqlEndpoints(this IEndpointRouteBuilder endpoints, ReadAccess access, SqlSandbox sandbox)
    {
        endpoints.MapPost("/api/v1/sql", async (HttpContext context) =>
        {
            var request = context.Request;
            var (body, invalid) = await ApiBody.ReadAsync(request, ApiJsonContext.Default.SqlRequest, MaxBodyBytes, "the body is not a valid query").ConfigureAwait(false);
            if (invalid is not null)
            {
                return invalid;
            }

            if (body?.Sql is not { Length: > 0 } sql)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, "the body must be a JSON object such as {\"sql\":\"SELECT count(*) FROM events\"}", "sql");
            }

            if (!access.TryGetSites(context, body.Site, out var sites, out var denied))
            {
                return denied;
            }

            try
            {
                // DuckDB blocks the calling thread for the whole query; the time limit bounds how long.
                var result = await Task.Run(() => sandbox.Run(sql, sites), context.RequestAborted).ConfigureAwait(false);
                return Results.Bytes(Serialize(result), "application/json");
            }
            catch (SqlRejectedException ex)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, ex.Message, "sql");
            }
            catch (DuckDbException ex)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, ex.Message, "sql");
            }
        });
    }

    private static byte[] Serialize(SqlResult result)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, JsonValueWriter.Options))
        {
            json.WriteStartObject();
            json.WriteStartArray("columns");
            foreach (var column in result.Columns)
            {
                json.WriteStartObject();
                json.WriteString("name", column.Name);
                json.WriteString("type", column.Type);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("rows");
            foreach (var row in result.Rows)
            {
                json.WriteStartArray();
                foreach (var value in row)
                {
                    JsonValueWriter.Write(json, value);
                }

                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WriteBoolean("truncated", result.Truncated);
            json.WriteNumber("elapsed_ms", (long)result.Elapsed.TotalMilliseconds);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}

[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
internal sealed record SqlRequest(string? Sql, string? Site);
