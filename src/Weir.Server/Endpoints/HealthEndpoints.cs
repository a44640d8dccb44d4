using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Weir.Server.Endpoints;

/// <summary><c>GET /healthz</c>: 200 with <c>{"status":"ok"}</c> while the server is serving.</summary>
internal static class HealthEndpoints
{
    private static readonly HealthStatus Ok = new("ok");

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", static () => Results.Json(Ok, HealthJsonContext.Default.HealthStatus));
        return endpoints;
    }
}

internal sealed record HealthStatus(string Status);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(HealthStatus))]
internal sealed partial class HealthJsonContext : JsonSerializerContext;
