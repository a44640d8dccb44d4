using Microsoft.Extensions.Logging;
using Weir.Core.Logging;

namespace Weir.Server.Logging;

/// <summary>Log events of the server host: starting and stopping. Ids 1000–1099.</summary>
internal static partial class Log
{
    public static class Hosting
    {
        public const int ServerStartedId = LogEventRanges.Hosting + 1;
        public const int ServerStoppingId = LogEventRanges.Hosting + 2;
        public const int ServerStoppedId = LogEventRanges.Hosting + 3;
    }

    [LoggerMessage(EventId = Hosting.ServerStartedId, EventName = "ServerStarted", Level = LogLevel.Information,
        Message = "Weir {Version} listening on {Urls} with data folder {DataDirectory}")]
    public static partial void ServerStarted(ILogger logger, string version, string urls, string dataDirectory);

    [LoggerMessage(EventId = Hosting.ServerStoppingId, EventName = "ServerStopping", Level = LogLevel.Information,
        Message = "Weir is stopping; finishing requests in flight")]
    public static partial void ServerStopping(ILogger logger);

    [LoggerMessage(EventId = Hosting.ServerStoppedId, EventName = "ServerStopped", Level = LogLevel.Information,
        Message = "Weir stopped")]
    public static partial void ServerStopped(ILogger logger);
}
