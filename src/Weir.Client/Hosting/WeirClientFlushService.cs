using Microsoft.Extensions.Hosting;

namespace Weir.Client.Hosting;

/// <summary>
/// Flushes the client when the host stops, after every other hosted service has stopped (the web server included),
/// so events tracked by the last requests go out too. The container's disposal of the client then finds nothing left.
/// </summary>
internal sealed class WeirClientFlushService(WeirClient client) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await client.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's shutdown timeout passed; disposing the client gives the rest its own DisposeTimeout.
        }
    }
}
