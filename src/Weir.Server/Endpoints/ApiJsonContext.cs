using System.Text.Json.Serialization;

namespace Weir.Server.Endpoints;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(CreateSiteRequest))]
[JsonSerializable(typeof(SiteResponse))]
[JsonSerializable(typeof(IReadOnlyList<SiteResponse>))]
[JsonSerializable(typeof(UpdateSiteRequest))]
[JsonSerializable(typeof(SchemaResponse))]
[JsonSerializable(typeof(FlushResponse))]
[JsonSerializable(typeof(CompactResponse))]
[JsonSerializable(typeof(ErasureRequest))]
[JsonSerializable(typeof(ErasureResponse))]
[JsonSerializable(typeof(LakeStatusResponse))]
[JsonSerializable(typeof(SqlRequest))]
[JsonSerializable(typeof(CreateTokenRequest))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(Weir.Server.Auth.ReadTokenFile))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
