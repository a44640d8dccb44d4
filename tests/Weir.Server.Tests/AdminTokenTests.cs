using Weir.Core.Configuration;
using Weir.Server.Admin;

namespace Weir.Server.Tests;

public sealed class AdminTokenTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public void A_token_is_generated_once_saved_for_the_owner_only_and_reused()
    {
        var first = AdminToken.Resolve(null, _data.Path);
        Assert.True(first.WasGenerated);
        Assert.True(first.Value.Length >= 32);
        var path = Path.Combine(_data.Path, AdminToken.FileName);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        var second = AdminToken.Resolve(null, _data.Path);
        Assert.False(second.WasGenerated);
        Assert.Equal(first.Value, second.Value);
    }

    [Fact]
    public void The_environment_token_wins_and_nothing_is_written()
    {
        var token = AdminToken.Resolve("an-admin-token-from-the-environment", _data.Path);
        Assert.False(token.WasGenerated);
        Assert.Equal("an-admin-token-from-the-environment", token.Value);
        Assert.False(File.Exists(Path.Combine(_data.Path, AdminToken.FileName)));
    }

    [Theory]
    [InlineData("Bearer an-admin-token-from-the-environment", true)]
    [InlineData("bearer   an-admin-token-from-the-environment  ", true)]
    [InlineData("Bearer an-admin-token-from-the-environmenT", false)]
    [InlineData("Basic an-admin-token-from-the-environment", false)]
    [InlineData("an-admin-token-from-the-environment", false)]
    [InlineData(null, false)]
    public void Only_the_exact_bearer_token_is_accepted(string? header, bool accepted) =>
        Assert.Equal(accepted, AdminToken.Resolve("an-admin-token-from-the-environment", _data.Path).Accepts(header));

    [Fact]
    public void A_short_environment_token_stops_start_up_without_echoing_it()
    {
        var environment = new Dictionary<string, string?> { [WeirEnvironment.AdminToken] = "short", [WeirEnvironment.DataDirectory] = _data.Path };
        var error = Assert.Throws<WeirConfigurationException>(() => WeirConfiguration.Load(new CommandLineSettings(), environment));
        Assert.Contains(WeirEnvironment.AdminToken, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short", error.Message.Replace("shorter", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }
}
