using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Weir.Client.Hosting;

namespace Weir.Client;

/// <summary>Registers <see cref="WeirClient"/> with a generic host or an ASP.NET Core app.</summary>
public static class WeirClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds one <see cref="WeirClient"/> (also as <see cref="IWeirClient"/>) for the whole app, and a hosted service
    /// that flushes it when the host stops. The container disposes the client, which delivers anything left.
    /// </summary>
    /// <remarks>The options are read once, when the client is first resolved; a <see cref="TimeProvider"/> registered in the container is used.</remarks>
    public static IServiceCollection AddWeirClient(this IServiceCollection services, Action<WeirClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<WeirClientOptions>().Configure(configure);
        services.TryAddSingleton(static provider => new WeirClient(
            provider.GetRequiredService<IOptions<WeirClientOptions>>().Value,
            httpClient: null,
            provider.GetService<ILoggerFactory>(),
            provider.GetService<TimeProvider>()));
        services.TryAddSingleton<IWeirClient>(static provider => provider.GetRequiredService<WeirClient>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, WeirClientFlushService>());
        return services;
    }
}
