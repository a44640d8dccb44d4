namespace Weir.Client.Tests;

/// <summary>Waits for a condition by polling it, failing the test with a description once the deadline passes.</summary>
internal static class Eventually
{
    public static async Task Until(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(10);
        }
    }
}
