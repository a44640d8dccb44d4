using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Weir.Bench.Ingest;

/// <summary>
/// The no-op reference for the ingest benchmark: Kestrel with minimal APIs, reading the body of POST /v1/track and
/// answering Segment's success body, without parsing, validating or storing anything.
/// </summary>
internal static class NoopServer
{
    public static async Task<int> RunAsync(string urls)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseUrls(urls);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapPost("/v1/track", static async (HttpRequest request) =>
        {
            var body = request.BodyReader;
            while (true)
            {
                var read = await body.ReadAsync().ConfigureAwait(false);
                body.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }

            return Results.Text("{\"success\":true}", "application/json");
        });
        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }
}
