using System.Text.Json.Serialization;

namespace Weir.Enrichment;

[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(Dictionary<string, Dictionary<string, Referrers.ReferrerEntry>>))]
internal sealed partial class EnrichmentJsonContext : JsonSerializerContext;
