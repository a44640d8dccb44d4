using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weir.Core;
using Weir.Core.Configuration;
using Weir.Core.Sites;
using Weir.Enrichment;
using Weir.Enrichment.Visitors;
using Weir.Lake;
using Weir.Log;
using Weir.Query.Sql;
using Weir.Server.Admin;
using Weir.Server.Auth;
using Weir.Server.Endpoints;
using Weir.Server.Ingest;
using Weir.Server.Metrics;
using Weir.Server.Query;
using Weir.Server.Tracker;
using ServerLog = Weir.Server.Logging.Log;

namespace Weir.Server;

/// <summary>
/// The Weir HTTP server: an ASP.NET Core host on Kestrel, built from <see cref="WeirOptions"/> alone. Nothing from
/// the ambient environment (ASPNETCORE_* variables, appsettings.json) reaches it.
/// </summary>
/// <remarks>
/// Run it with <see cref="RunAsync"/>, which stops on SIGTERM or Ctrl+C. Tests call <see cref="StartAsync"/> on
/// <c>http://127.0.0.1:0</c>, which returns the addresses actually bound, and then <see cref="StopAsync"/> or
/// <see cref="DisposeAsync"/>.
/// </remarks>
public sealed class WeirServer : IAsyncDisposable
{
    /// <summary>The event log's folder inside the data folder.</summary>
    public const string LogDirectoryName = "log";

    /// <summary>The raw zone inside the data folder: every log segment, gzip-compressed, once the lake has loaded it.</summary>
    public const string RawDirectoryName = "raw";

    /// <summary>How long a graceful stop may take before the host gives up on requests in flight.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(10);

    private readonly WebApplication _app;
    private readonly IngestHandler _ingest;
    private readonly ILogger _logger;
    private readonly WeirOptions _options;

    /// <param name="options">Validated options, as from <see cref="WeirConfiguration.Load"/>.</param>
    /// <param name="configureLogging">Runs after Weir has set up its console logging, so it can add or replace providers.</param>
    /// <param name="ingest">How ingest takes events in; defaults when null.</param>
    /// <param name="time">The clock for received times and latencies; the system clock when null.</param>
    /// <param name="lake">How the lake loads and flushes; defaults over the data folder when null.</param>
    /// <param name="sql">The limits of <c>POST /api/v1/sql</c>; the defaults when null.</param>
    public WeirServer(WeirOptions options, Action<ILoggingBuilder>? configureLogging = null, IngestServerOptions? ingest = null, TimeProvider? time = null,
        Func<LakeOptions, LakeOptions>? lake = null, SqlSandboxOptions? sql = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        Directory.CreateDirectory(options.DataDirectory);
        time ??= TimeProvider.System;

        // The empty builder reads no configuration files or environment variables: WeirOptions is the only input.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = "Weir",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseUrls([.. options.Http.Urls]);
        builder.Services.AddRoutingCore();
        // Weir logs its own start and stop lines, with the data folder; the generic host's would repeat them.
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        // SIGTERM: stop accepting, finish the requests in flight (their events are committed), exit within 10 s.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        ConfigureLogging(builder.Logging, options.Logging);
        configureLogging?.Invoke(builder.Logging);

        AdminToken = AdminToken.Resolve(options.AdminToken, options.DataDirectory);
        Sites = SiteStore.Open(options.DataDirectory);
        builder.Services.AddSingleton(Metrics);

        _app = builder.Build();
        var loggerFactory = _app.Services.GetRequiredService<ILoggerFactory>();
        _logger = loggerFactory.CreateLogger("Weir.Server");

        // Recovery runs here, before the server listens: a corrupt log stops start-up with its own message.
        EventLog = DurableLog.Open(LogOptionsFor(options.DataDirectory), loggerFactory, time);
        ServerLog.IngestLogOpened(_logger, EventLog.Directory, EventLog.Recovery.RecordsRecovered, EventLog.Recovery.TornBytesTruncated);
        var lakeOptions = LakeOptionsFor(options) with { RetentionDays = RetentionOf };
        Lake = Weir.Lake.Lake.Open(lake is null ? lakeOptions : lake(lakeOptions), EventLog, loggerFactory, time);
        ingest ??= new IngestServerOptions
        {
            RequestsPerSecondPerKey = options.Ingest.RequestsPerSecondPerKey,
            MaxBacklogBytes = options.Ingest.MaxBacklogBytes,
            MinFreeDiskBytes = options.Ingest.MinFreeDiskBytes,
        };
        _ingest = new IngestHandler(EventLog, Sites, options.DataDirectory, ingest, time, loggerFactory.CreateLogger("Weir.Ingest"), Metrics.Scope);

        if (options.Http.TrustedProxies.Count > 0)
        {
            // Behind a reverse proxy every connection is the proxy's: the visitor's address comes from X-Forwarded-For,
            // believed only from the proxies named, and read right to left past each of them.
            var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor, ForwardLimit = null };
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var network in options.Http.TrustedProxies)
            {
                forwarded.KnownIPNetworks.Add(network);
            }

            _app.UseForwardedHeaders(forwarded);
        }

        _app.MapHealthEndpoints();
        _app.MapIngestEndpoints(_ingest);
        // Loaded and compressed here, once: a build without the script fails at start, not on the first request.
        _app.MapTrackerEndpoints(TrackerScript.Embedded);
        _app.MapCompatEndpoints(_ingest);
        _app.MapGet("/metrics", () => Results.Text(Metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"));
        var api = _app.MapAdminApi(AdminToken);
        api.MapSiteEndpoints(Sites);
        api.MapLakeEndpoints(Lake, Sites);
        ReadTokens = ReadTokens.Open(options.DataDirectory);
        api.MapTokenEndpoints(ReadTokens, Sites, time);
        ReadAccess = new ReadAccess(AdminToken, ReadTokens, Sites);
        var querySource = new LakeQuerySource(Lake);
        Sql = new SqlSandbox(querySource, sql, () => TimeZones(Sites));
        _app.MapSqlEndpoints(ReadAccess, Sql);
        _app.MapReportEndpoints(ReadAccess, Sites, querySource, time);

        var lifetime = _app.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStarted.Register(OnStarted);
        lifetime.ApplicationStopping.Register(() => ServerLog.ServerStopping(_logger));
        lifetime.ApplicationStopped.Register(() => ServerLog.ServerStopped(_logger));
    }

    /// <summary>Each site's time zone, as the SQL sandbox's <c>sessions</c> view needs them (the server and the CLI).</summary>
    public static IReadOnlyDictionary<string, string> TimeZones(SiteStore sites)
    {
        ArgumentNullException.ThrowIfNull(sites);
        var zones = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var site in sites.All)
        {
            zones[site.Id] = site.Timezone;
        }

        return zones;
    }

    /// <summary>The log of a data folder, with its raw zone, as the server and the CLI's lake commands open it.</summary>
    public static LogOptions LogOptionsFor(string dataDirectory) => new()
    {
        Directory = Path.Combine(dataDirectory, LogDirectoryName),
        ArchiveDirectory = Path.Combine(dataDirectory, RawDirectoryName),
    };

    /// <summary>The lake's options from Weir's settings (without the sites' retention, which only the server knows).</summary>
    public static LakeOptions LakeOptionsFor(WeirOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // The cookieless visitor ids' daily salts live in the data folder; the loader's lanes share them.
        var visitors = new VisitorIds(VisitorSalts.Open(options.DataDirectory));
        return new LakeOptions
        {
            DataDirectory = options.DataDirectory,
            DedupWindow = options.Lake.DedupWindow,
            FlushRows = options.Lake.FlushRows,
            FlushAge = options.Lake.FlushAge,
            // Visitor id, browser, device, bots, country, UTM tags and source from the raw request data (docs/enrichment.md).
            Enricher = () => new EventEnricher(EnrichmentData.Default, visitors),
        };
    }

    /// <summary>The admin API's bearer token; <see cref="AdminToken.WasGenerated"/> says whether this start created it.</summary>
    public AdminToken AdminToken { get; }

    public SiteStore Sites { get; }

    /// <summary>The read tokens <c>POST /api/v1/tokens</c> creates.</summary>
    public ReadTokens ReadTokens { get; }

    /// <summary>Which sites a request to the query API may read; the query endpoints share it.</summary>
    public ReadAccess ReadAccess { get; }

    /// <summary>The sandbox <c>POST /api/v1/sql</c> runs queries in.</summary>
    public SqlSandbox Sql { get; }

    /// <summary>The durable event log ingest appends to.</summary>
    public DurableLog EventLog { get; }

    /// <summary>The lake the log's events are loaded into, and that queries read.</summary>
    public Lake.Lake Lake { get; }

    /// <summary>Everything the <c>weir.*</c> meters record, for <c>GET /metrics</c>.</summary>
    public PrometheusExporter Metrics { get; } = new();

    /// <summary>The addresses Kestrel listens on, with real port numbers where port 0 was asked for. Empty before start.</summary>
    public IReadOnlyList<Uri> Addresses =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            .Select(a => new Uri(a))
            .ToArray() ?? [];

    /// <summary>Binds and starts serving; returns the bound addresses.</summary>
    /// <exception cref="IOException">An address could not be bound, for example because it is in use.</exception>
    public async Task<IReadOnlyList<Uri>> StartAsync(CancellationToken cancellationToken = default)
    {
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        return Addresses;
    }

    /// <summary>Stops accepting connections and waits for requests in flight, up to the host's shutdown timeout.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <summary>Starts, then serves until SIGTERM, Ctrl+C or <paramref name="cancellationToken"/>, then stops gracefully.</summary>
    public Task RunAsync(CancellationToken cancellationToken = default) => _app.RunAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // The host first, so no request is left to append; then the log commits what was enqueued and closes.
        await _app.DisposeAsync().ConfigureAwait(false);
        _ingest.Dispose();
        // The lake flushes what is hot before the log closes under it.
        await Lake.DisposeAsync().ConfigureAwait(false);
        await EventLog.DisposeAsync().ConfigureAwait(false);
        Metrics.Dispose();
    }

    private int? RetentionOf(string siteId) => Sites.TryGetById(siteId, out var site) ? site.RetentionDays : null;

    private void OnStarted()
    {
        Lake.Start();
        // The addresses are known only now: with port 0, Kestrel has just picked the port.
        var urls = string.Join(", ", Addresses);
        ServerLog.ServerStarted(_logger, WeirVersion.Current, urls, _options.DataDirectory);
    }

    private static void ConfigureLogging(ILoggingBuilder logging, LoggingOptions options)
    {
        // WeirLogLevel mirrors LogLevel's names and values.
        var level = (LogLevel)options.Level;
        logging.SetMinimumLevel(level);

        // ASP.NET Core logs every request at Information. Weir logs its own start and stop, so the framework's
        // categories speak up only for warnings, unless a more detailed level was asked for.
        logging.AddFilter("Microsoft", level < LogLevel.Information ? level : LogLevel.Warning);
        if (options.Format == LogFormat.Json)
        {
            logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            });
        }
    }
}
