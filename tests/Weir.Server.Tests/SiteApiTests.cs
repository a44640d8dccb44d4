using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Weir.Server.Tests;

public sealed class SiteApiTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task The_admin_api_refuses_requests_without_the_token()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        var anonymous = await server.Client.GetAsync("/api/v1/sites");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Authorization", (await Json(anonymous)).GetProperty("field").GetString());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sites");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", server.Server.AdminToken.Value + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Creating_a_site_returns_its_id_and_write_key_and_lists_it()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        using var admin = server.AdminClient();
        var created = await admin.PostAsJsonAsync("/api/v1/sites", new { domain = "Shop.Example", timezone = "Europe/Berlin" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var site = await Json(created);
        Assert.Equal("shop.example", site.GetProperty("domain").GetString());
        Assert.Equal("Europe/Berlin", site.GetProperty("timezone").GetString());
        Assert.StartsWith("wk_", site.GetProperty("writeKey").GetString(), StringComparison.Ordinal);
        var id = site.GetProperty("id").GetString()!;
        Assert.Equal(12, id.Length);

        var listed = await Json(await admin.GetAsync("/api/v1/sites"));
        Assert.Equal(id, Assert.Single(listed.EnumerateArray()).GetProperty("id").GetString());
        Assert.True(server.Server.Sites.TryGetByWriteKey(site.GetProperty("writeKey").GetString()!, out var found));
        Assert.Equal(id, found.Id);
    }

    [Fact]
    public async Task Sites_and_keys_survive_a_restart()
    {
        string writeKey;
        await using (var server = await RunningServer.StartAsync(_data.Path))
        {
            using var admin = server.AdminClient();
            writeKey = (await Json(await admin.PostAsJsonAsync("/api/v1/sites", new { domain = "a.example" }))).GetProperty("writeKey").GetString()!;
        }

        await using (var server = await RunningServer.StartAsync(_data.Path))
        {
            Assert.True(server.Server.Sites.TryGetByWriteKey(writeKey, out var site));
            Assert.Equal("a.example", site.Domain);
            Assert.Equal("UTC", site.Timezone);
        }
    }

    [Theory]
    [InlineData("{\"timezone\":\"UTC\"}", "domain")]
    [InlineData("{\"domain\":\"https://shop.example/path\"}", "domain")]
    [InlineData("{\"domain\":\"shop.example\",\"timezone\":\"Mars/Olympus\"}", "timezone")]
    [InlineData("{\"domain\":\"shop.example\",\"allowedOrigins\":[\"https://ok.example\",\"not an origin\"]}", "allowedOrigins[1]")]
    [InlineData("{\"domain\":\"shop.example\",\"colour\":\"red\"}", "colour")]
    [InlineData("{\"domain\":42}", "domain")]
    public async Task A_bad_site_is_refused_with_the_field_named(string body, string field)
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        using var admin = server.AdminClient();
        var response = await admin.PostAsync("/api/v1/sites", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await Json(response);
        Assert.Equal(field, error.GetProperty("field").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetString()));
        Assert.Empty(server.Server.Sites.All);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_refused()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        using var admin = server.AdminClient();
        var response = await admin.PostAsync("/api/v1/sites", new StringContent("domain=shop.example", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not a valid site", (await Json(response)).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Allowed_origins_are_normalised()
    {
        await using var server = await RunningServer.StartAsync(_data.Path);
        using var admin = server.AdminClient();
        var site = await Json(await admin.PostAsJsonAsync("/api/v1/sites", new { domain = "shop.example", allowedOrigins = new[] { "HTTPS://Shop.Example:443/" } }));
        Assert.Equal("https://shop.example", Assert.Single(site.GetProperty("allowedOrigins").EnumerateArray()).GetString());
    }
}
