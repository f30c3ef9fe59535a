using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;

namespace Platform.Router;

/// <summary>
/// Runs the router's own <see cref="WebApplication"/> on <c>Router:Url</c>, so the router can share a process
/// with the API's web application (<c>platd --dev</c>) while listening on a port of its own. The route
/// table, access log and metrics live in the outer container (bus consumers reach the loader there) and are
/// handed to the inner application.
/// </summary>
public sealed class RouterHost(
    RouteTableLoader loader,
    AccessLogQueue accessLog,
    RouterMetrics metrics,
    TimeProvider time,
    ILoggerFactory loggerFactory,
    IOptions<RouterOptions> options) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<RouterHost>();
    private WebApplication? _app;

    /// <summary>The addresses the router listens on, once started (the real port when Router:Url asks for port 0).</summary>
    public IReadOnlyList<string> Urls { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = typeof(RouterHost).Assembly.GetName().Name,
        });
        builder.WebHost.UseUrls(options.Value.Url);
        builder.Logging.ClearProviders();
        var services = builder.Services;
        // Shared with the outer host: its logging, its lifetime (no second Ctrl+C handler), its singletons.
        services.AddSingleton(loggerFactory);
        services.AddSingleton<IHostLifetime, NoHostLifetime>();
        services.AddSingleton(loader);
        services.AddSingleton(accessLog);
        services.AddSingleton(metrics);
        services.AddSingleton(time);
        services.AddSingleton(options);
        services.AddSingleton<RouteTableProxyConfigProvider>();
        services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<RouteTableProxyConfigProvider>());
        services.AddSingleton<IPassiveHealthCheckPolicy, EvictOnFailurePassiveHealthPolicy>();
        services.AddReverseProxy();

        var app = builder.Build();
        app.UseMiddleware<RequestIdMiddleware>();
        app.UseMiddleware<AccessLogMiddleware>();
        app.UseMiddleware<RouteGateMiddleware>();
        app.UseRouting();
        app.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<ProxyErrorBodyMiddleware>();
            proxy.UseMiddleware<SessionStickinessMiddleware>();
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        // The gate saw a route that YARP's config does not have yet (a reload is being applied): a moment's 503.
        app.MapFallback(context => PlainText.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
            "503 Service Unavailable: route is being updated, retry"));

        await app.StartAsync(cancellationToken);
        _app = app;
        Urls = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        _logger.LogInformation("Router listening on {Urls} for *.{AppsDomain}", string.Join(", ", Urls), options.Value.AppsDomain);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null) await _app.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        _app = null;
    }

    /// <summary>The outer host owns the process lifetime; the router's inner application just follows it.</summary>
    private sealed class NoHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
