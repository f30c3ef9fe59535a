using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Hosting;
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
    AppStatsCollector appStats,
    TimeProvider time,
    ILoggerFactory loggerFactory,
    IOptions<RouterOptions> options) : InnerWebApplication(loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<RouterHost>();

    protected override string ListenUrl => options.Value.Url;

    protected override void ConfigureWebHost(IWebHostBuilder webHost)
    {
        var o = options.Value;
        // Each endpoint gets its own protocols, so they are bound explicitly rather than from the URL list.
        webHost.UseSetting(WebHostDefaults.ServerUrlsKey, "");
        if (o.TlsUrl is { Length: > 0 }) webHost.UseKestrelHttpsConfiguration();
        webHost.ConfigureKestrel(kestrel =>
        {
            // Nothing an app's users need to see; one header less on every response.
            kestrel.AddServerHeader = false;
            // Kestrel (.NET 10) cannot tell HTTP/2 prior knowledge from HTTP/1.1 on one cleartext port: the plain
            // port speaks HTTP/1.1 (WebSocket upgrades included), Router:H2cUrl HTTP/2 with prior knowledge (gRPC
            // clients), and the TLS port both, chosen by ALPN.
            RouterEndpoints.Listen(kestrel, o.Url, HttpProtocols.Http1);
            if (o.H2cUrl is { Length: > 0 }) RouterEndpoints.Listen(kestrel, o.H2cUrl, HttpProtocols.Http2);
            if (o.TlsUrl is { Length: > 0 })
            {
                var certificate = RouterCertificate.Load(o);
                RouterEndpoints.Listen(kestrel, o.TlsUrl, HttpProtocols.Http1AndHttp2, listen => listen.UseHttps(certificate));
            }
        });
    }

    protected override void ConfigureServices(IServiceCollection services)
    {
        // Shared with the outer host: its singletons.
        services.AddSingleton(loader);
        services.AddSingleton(accessLog);
        services.AddSingleton(metrics);
        services.AddSingleton(appStats);
        services.AddSingleton(time);
        services.AddSingleton(options);
        services.AddSingleton<RouteTableProxyConfigProvider>();
        services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<RouteTableProxyConfigProvider>());
        services.AddSingleton<IPassiveHealthCheckPolicy, EvictOnFailurePassiveHealthPolicy>();
        services.AddReverseProxy()
            .AddTransforms(context => RouterTransforms.Apply(context, options.Value))
            .ConfigureHttpClient(static (_, handler) =>
            {
                // No traceparent/tracestate injected into every proxied request: nothing here traces them.
                handler.ActivityHeadersPropagator = null;
                // Instances come and go; a dead one should fail fast (then passive health takes it out).
                handler.ConnectTimeout = TimeSpan.FromSeconds(5);
            });
    }

    protected override void Configure(WebApplication app)
    {
        app.UseMiddleware<RequestIdMiddleware>();
        app.UseMiddleware<AccessLogMiddleware>();
        app.UseMiddleware<AppStatsMiddleware>();
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
    }

    protected override void OnStarted() =>
        _logger.LogInformation("Router listening on {Urls} for *.{AppsDomain}", string.Join(", ", Urls), options.Value.AppsDomain);
}
