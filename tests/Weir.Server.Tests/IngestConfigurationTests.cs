using Weir.Core.Configuration;

namespace Weir.Server.Tests;

public sealed class IngestConfigurationTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    private WeirOptions Load(Dictionary<string, string?>? environment = null, string? file = null) => TestConfiguration.Load(_data.Path, environment, file);

    [Fact]
    public void Ingest_limits_default_to_no_rate_limit_1_gib_of_backlog_and_256_mib_of_free_disk()
    {
        var ingest = Load().Ingest;
        Assert.Equal(0, ingest.RequestsPerSecondPerKey);
        Assert.Equal(1L << 30, ingest.MaxBacklogBytes);
        Assert.Equal(256L << 20, ingest.MinFreeDiskBytes);
    }

    [Fact]
    public void Ingest_limits_come_from_weir_json_and_the_environment_wins()
    {
        var ingest = Load(
            new Dictionary<string, string?> { [WeirEnvironment.IngestRateLimit] = "50" },
            """{"ingestRateLimit": "10", "maxBacklogMb": "64", "minFreeDiskMb": "0"}""").Ingest;
        Assert.Equal(50, ingest.RequestsPerSecondPerKey);
        Assert.Equal(64L << 20, ingest.MaxBacklogBytes);
        Assert.Equal(0, ingest.MinFreeDiskBytes);
    }

    [Fact]
    public void A_bad_ingest_limit_names_its_setting()
    {
        var error = Assert.Throws<WeirConfigurationException>(() => Load(
            new Dictionary<string, string?> { [WeirEnvironment.MaxBacklogMb] = "-5" },
            """{"ingestRateLimit": "lots"}"""));
        Assert.Contains(WeirEnvironment.MaxBacklogMb, error.Message, StringComparison.Ordinal);
        Assert.Contains("ingestRateLimit", error.Message, StringComparison.Ordinal);
        Assert.Contains("'lots' is not a whole number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_server_applies_the_configured_rate_limit()
    {
        var options = Load(new Dictionary<string, string?> { [WeirEnvironment.IngestRateLimit] = "1" }) with
        {
            Http = new HttpOptions { Urls = ["http://127.0.0.1:0"] },
        };
        await using var server = new WeirServer(options);
        Assert.Equal(1, options.Ingest.RequestsPerSecondPerKey);
        using var client = new HttpClient { BaseAddress = (await server.StartAsync())[0] };
        var site = server.Sites.Add("shop.example", null);
        var statuses = new List<System.Net.HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track")
            {
                Content = new StringContent($"{{\"writeKey\":\"{site.WriteKey}\",\"event\":\"e\",\"userId\":\"u\"}}", System.Text.Encoding.UTF8, "application/json"),
            };
            statuses.Add((await client.SendAsync(request)).StatusCode);
        }

        Assert.Contains(System.Net.HttpStatusCode.TooManyRequests, statuses);
        await server.StopAsync();
    }
}
