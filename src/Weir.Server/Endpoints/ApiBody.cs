using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Weir.Server.Endpoints;

/// <summary>
/// Reads an API request's JSON body under a size limit, whether or not the client sent a Content-Length: a chunked
/// body is cut off by Kestrel at the same limit, so no endpoint buffers more than it allows.
/// </summary>
internal static class ApiBody
{
    /// <summary>
    /// Deserializes the body, or gives the 400 or 413 to answer instead; <paramref name="invalid"/> describes a body
    /// that does not parse, e.g. "the body is not a valid site".
    /// </summary>
    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, int maxBytes, string invalid)
    {
        if (Limit(request, maxBytes) is { } tooLarge)
        {
            return (default, tooLarge);
        }

        try
        {
            return (await JsonSerializer.DeserializeAsync(request.Body, type, request.HttpContext.RequestAborted).ConfigureAwait(false), null);
        }
        catch (JsonException ex)
        {
            return (default, ApiError.Result(StatusCodes.Status400BadRequest, $"{invalid}: {ex.Message}", ex.Path is { Length: > 1 } path ? path.TrimStart('$', '.') : null));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (default, TooLarge(maxBytes));
        }
    }

    /// <summary>Parses the body as a JSON document (the caller disposes it), or gives the 400 or 413 to answer instead.</summary>
    public static async Task<(JsonDocument? Document, IResult? Error)> ParseAsync(HttpRequest request, int maxBytes)
    {
        if (Limit(request, maxBytes) is { } tooLarge)
        {
            return (null, tooLarge);
        }

        try
        {
            return (await JsonDocument.ParseAsync(request.Body, default, request.HttpContext.RequestAborted).ConfigureAwait(false), null);
        }
        catch (JsonException ex)
        {
            return (null, ApiError.Result(StatusCodes.Status400BadRequest, $"the body is not valid JSON: {ex.Message}"));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(maxBytes));
        }
    }

    private static IResult? Limit(HttpRequest request, int maxBytes)
    {
        if (request.ContentLength > maxBytes)
        {
            return TooLarge(maxBytes);
        }

        // Kestrel then fails a read that goes past the limit, which is how a body without a Content-Length is bounded.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = maxBytes;
        }

        return null;
    }

    private static IResult TooLarge(int maxBytes) =>
        ApiError.Result(StatusCodes.Status413PayloadTooLarge, $"the body is larger than {maxBytes} bytes");
}
