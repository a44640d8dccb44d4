using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace Weir.Server.Endpoints;

/// <summary>Every API error: a message for people and, when one field is at fault, its name.</summary>
internal sealed record ApiError(string Error, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Field = null)
{
    public static IResult Result(int status, string message, string? field = null) =>
        Results.Json(new ApiError(message, field), ApiJsonContext.Default.ApiError, statusCode: status);
}
