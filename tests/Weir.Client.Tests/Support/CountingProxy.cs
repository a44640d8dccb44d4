using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Weir.Client.Tests;

/// <summary>One request that went through the proxy, with what the server answered.</summary>
/// <param name="Status">The server's status code.</param>
/// <param name="BodyBytes">The body's size once decompressed, as the server's 500 KB limit counts it.</param>
/// <param name="Events">How many events the body's <c>batch</c> held.</param>
/// <param name="ContentEncoding">The request's Content-Encoding.</param>
/// <param name="ReceivedAt">When the proxy got the request.</param>
/// <param name="AnsweredAt">When the proxy had the server's answer.</param>
internal sealed record ProxiedRequest(int Status, int BodyBytes, int Events, string? ContentEncoding, DateTimeOffset ReceivedAt, DateTimeOffset AnsweredAt);

/// <summary>
/// A real HTTP forwarder on a loopback port between the client and a Weir server: it passes each request and answer
/// through unchanged and notes what it saw, so tests can count requests and measure batches.
/// </summary>
internal sealed class CountingProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly ConcurrentQueue<ProxiedRequest> _requests = new();

    private CountingProxy(WebApplication app, Uri target)
    {
        _app = app;
        _upstream = new HttpClient { BaseAddress = target };
        _app.Run(ForwardAsync);
    }

    public Uri Address { get; private set; } = null!;

    public IReadOnlyList<ProxiedRequest> Requests => [.. _requests];

    public static async Task<CountingProxy> StartAsync(Uri target)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var proxy = new CountingProxy(builder.Build(), target);
        await proxy._app.StartAsync();
        proxy.Address = new Uri(proxy._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }

    private async Task ForwardAsync(HttpContext http)
    {
        var receivedAt = DateTimeOffset.UtcNow;
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body);
        var bytes = body.ToArray();
        string? encoding = http.Request.Headers.ContentEncoding;

        using var request = new HttpRequestMessage(new HttpMethod(http.Request.Method), http.Request.Path + http.Request.QueryString)
        {
            Content = new ByteArrayContent(bytes),
        };
        if (http.Request.ContentType is { } contentType)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        if (encoding is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Encoding", encoding);
        }

        request.Headers.TryAddWithoutValidation("Authorization", (string?)http.Request.Headers.Authorization);
        using var response = await _upstream.SendAsync(request);
        var answer = await response.Content.ReadAsByteArrayAsync();

        var json = encoding == "gzip" ? Gunzip(bytes) : bytes;
        _requests.Enqueue(new ProxiedRequest((int)response.StatusCode, json.Length, CountEvents(json), encoding, receivedAt, DateTimeOffset.UtcNow));

        http.Response.StatusCode = (int)response.StatusCode;
        if (response.Headers.RetryAfter is { } retryAfter)
        {
            http.Response.Headers.RetryAfter = retryAfter.ToString();
        }

        if (response.Content.Headers.ContentType is { } answerType)
        {
            http.Response.ContentType = answerType.ToString();
        }

        await http.Response.Body.WriteAsync(answer);
    }

    private static byte[] Gunzip(byte[] compressed)
    {
        using var output = new MemoryStream();
        using (var zip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress))
        {
            zip.CopyTo(output);
        }

        return output.ToArray();
    }

    private static int CountEvents(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty("batch", out var batch) ? batch.GetArrayLength() : 0;
        }
        catch (JsonException)
        {
            return -1;
        }
    }
}
