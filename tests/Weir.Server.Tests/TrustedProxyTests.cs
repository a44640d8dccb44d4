using System.Net;
using System.Text;
using System.Text.Json;
using Weir.Core.Configuration;

namespace Weir.Server.Tests;

/// <summary>The visitor's address behind a reverse proxy: <c>X-Forwarded-For</c>, believed only from the proxies named.</summary>
public sealed class TrustedProxyTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    private WeirOptions Load(Dictionary<string, string?>? environment = null, string? file = null) => TestConfiguration.Load(_data.Path, environment, file);

    [Fact]
    public void Trusted_proxies_are_addresses_and_networks_from_the_environment_or_weir_json()
    {
        Assert.Empty(Load().Http.TrustedProxies);
        var fromFile = Load(file: """{"trustedProxies": "10.0.0.0/8"}""").Http.TrustedProxies;
        Assert.Equal([IPNetwork.Parse("10.0.0.0/8")], fromFile);
        var fromEnvironment = Load(new Dictionary<string, string?> { [WeirEnvironment.TrustedProxies] = " 127.0.0.1, 10.0.0.0/8 ,::1,fd00::/8" },
            """{"trustedProxies": "192.168.0.0/16"}""").Http.TrustedProxies;
        Assert.Equal([IPNetwork.Parse("127.0.0.1/32"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fd00::/8")], fromEnvironment);
    }

    [Fact]
    public void A_bad_trusted_proxy_names_the_setting_and_the_entry()
    {
        var error = Assert.Throws<WeirConfigurationException>(() => Load(
            new Dictionary<string, string?> { [WeirEnvironment.TrustedProxies] = "127.0.0.1, proxy.internal, 10.0.0.1/8" }));
        Assert.Contains(WeirEnvironment.TrustedProxies, error.Message, StringComparison.Ordinal);
        Assert.Contains("'proxy.internal' is not an IP address or a network", error.Message, StringComparison.Ordinal);
        Assert.Contains("'10.0.0.1/8'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_the_forwarded_address_is_the_events_ip()
    {
        // The test's requests come from 127.0.0.1, which plays the outer proxy; 10.1.2.3 is an inner one, also trusted.
        var ips = await SendThroughAsync(["127.0.0.1", "10.0.0.0/8"], "198.51.100.7, 203.0.113.9, 10.1.2.3");
        Assert.Equal(["203.0.113.9"], ips);
    }

    [Fact]
    public async Task Without_trusted_proxies_a_forwarded_header_is_ignored()
    {
        var ips = await SendThroughAsync([], "203.0.113.9");
        Assert.Equal(["127.0.0.1"], ips);
    }

    [Fact]
    public async Task A_forwarded_header_from_a_connection_that_is_not_a_trusted_proxy_is_ignored()
    {
        var ips = await SendThroughAsync(["10.0.0.0/8"], "203.0.113.9");
        Assert.Equal(["127.0.0.1"], ips);
    }

    private async Task<List<string?>> SendThroughAsync(string[] trusted, string forwardedFor)
    {
        var options = Load() with
        {
            Http = new HttpOptions { Urls = ["http://127.0.0.1:0"], TrustedProxies = [.. trusted.Select(t => IPNetwork.Parse(t.Contains('/') ? t : t + "/32"))] },
            Logging = new LoggingOptions { Level = WeirLogLevel.Warning },
        };
        await using var server = new WeirServer(options);
        using var client = new HttpClient { BaseAddress = (await server.StartAsync())[0] };
        var site = server.Sites.Add("shop.example", null);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track")
        {
            Content = new StringContent($"{{\"writeKey\":\"{site.WriteKey}\",\"event\":\"e\",\"userId\":\"u\"}}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var ips = new List<string?>();
        using (var reader = server.EventLog.OpenReplay())
        {
            for (var batch = reader.Read(); batch.Count > 0; batch = reader.Read())
            {
                foreach (var record in batch)
                {
                    ips.Add(JsonDocument.Parse(record.Payload).RootElement.GetProperty("ip").GetString());
                }
            }
        }

        await server.StopAsync();
        return ips;
    }
}
