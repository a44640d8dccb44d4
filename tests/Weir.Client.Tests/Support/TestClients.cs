using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Weir.Client.Tests;

/// <summary>Clients for tests: quick retries, and no flush by time unless a test asks, so batches are cut by count, size or flush.</summary>
internal static class TestClients
{
    public static WeirClient Create(Uri endpoint, string writeKey, Action<WeirClientOptions>? configure = null, ILoggerFactory? loggers = null)
    {
        var options = new WeirClientOptions
        {
            Endpoint = endpoint,
            WriteKey = writeKey,
            FlushInterval = TimeSpan.FromHours(1),
            MinRetryDelay = TimeSpan.FromMilliseconds(50),
            MaxRetryDelay = TimeSpan.FromSeconds(1),
        };
        configure?.Invoke(options);
        return new WeirClient(options, loggerFactory: loggers);
    }

    public static Dictionary<string, object?> Properties(params (string Key, object? Value)[] members)
    {
        var properties = new Dictionary<string, object?>();
        foreach (var (key, value) in members)
        {
            properties[key] = value;
        }

        return properties;
    }

    /// <summary>A loopback port nothing listens on right now: the system picked it, and the listener is closed again.</summary>
    public static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static ILoggerFactory Capturing(out CapturingLoggerProvider provider)
    {
        var capture = new CapturingLoggerProvider();
        provider = capture;
        return LoggerFactory.Create(builder => builder.AddProvider(capture).SetMinimumLevel(LogLevel.Trace));
    }
}
