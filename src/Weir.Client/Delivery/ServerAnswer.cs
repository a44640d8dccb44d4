using System.Text.Json.Serialization;

namespace Weir.Client.Delivery;

/// <summary>
/// What the server answers: <c>{"success":true}</c>, with <c>accepted</c>, <c>rejected</c> and <c>errors</c> when
/// some events of a batch were invalid, or <c>success:false</c> with <c>error</c>, <c>code</c> and <c>field</c>.
/// </summary>
internal sealed record ServerAnswer
{
    public bool Success { get; init; }

    public int? Accepted { get; init; }

    public int? Rejected { get; init; }

    public IReadOnlyList<ServerEventError>? Errors { get; init; }

    public string? Error { get; init; }

    public string? Code { get; init; }

    public string? Field { get; init; }
}

/// <summary>One rejected event of a batch.</summary>
internal sealed record ServerEventError
{
    public int Index { get; init; }

    public string? Field { get; init; }

    public string? Code { get; init; }

    public string? Message { get; init; }
}

[JsonSerializable(typeof(ServerAnswer))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
