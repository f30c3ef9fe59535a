using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Platform.Router;

public static class RouterServiceCollectionExtensions
{
    /// <summary>
    /// Registers the router role: the route table (a snapshot loaded from the API at <c>Router:ApiUrl</c> with
    /// <c>Router:ApiToken</c>, then kept current from the bus: the router needs no database), the access-log shipper
    /// (LogBatch messages on the bus, which the caller registers with AddPlatformBus and <see cref="AddRouterConsumers"/>),
    /// and a hosted service that runs the proxy on its own Kestrel endpoint. Settings come from the "Router" section:
    /// <c>Url</c>, <c>H2cUrl</c>, <c>TlsUrl</c>, <c>Certificate*</c>, <c>ApiUrl</c>, <c>ApiToken</c>, <c>AppsDomain</c>, <c>ResyncSeconds</c>,
    /// <c>PreferHostAddress</c>, <c>PassiveHealthReactivationSeconds</c>, <c>StickySessions</c>, <c>JSessionIdStickiness</c>,
    /// <c>AccessLogQueueCapacity</c>.
    /// </summary>
    public static IServiceCollection AddPlatformRouter(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RouterOptions>()
            .Bind(configuration.GetSection(RouterOptions.SectionName))
            .Validate(o => Uri.TryCreate(o.Url, UriKind.Absolute, out var u) && u.Scheme == "http",
                "Router:Url must be an absolute http URL, e.g. http://127.0.0.1:7080 (HTTPS is Router:TlsUrl)")
            .Validate(o => o.ResyncSeconds > 0, "Router:ResyncSeconds must be positive")
            .Validate(o => o.ApiUrlsValid,
                "Router:ApiUrl must be the API's absolute http(s) URL, e.g. http://10.0.0.5:7070 (or several, comma-separated): the router loads its route table from it")
            .Validate(o => !string.IsNullOrEmpty(o.ApiToken),
                "Router:ApiToken must be set to the API's Api:RouterToken: the router authenticates to the API with it")
            .Validate(o => o.H2cUrl is not { Length: > 0 } || (Uri.TryCreate(o.H2cUrl, UriKind.Absolute, out var h) && h.Scheme == "http"),
                "Router:H2cUrl must be an absolute http URL, e.g. http://0.0.0.0:7081")
            .Validate(o => o.TlsUrl is not { Length: > 0 } || (Uri.TryCreate(o.TlsUrl, UriKind.Absolute, out var t) && t.Scheme == "https"),
                "Router:TlsUrl must be an absolute https URL, e.g. https://0.0.0.0:7443")
            .Validate(o => o.TlsUrl is not { Length: > 0 } || o.CertificatePath is { Length: > 0 },
                "Router:TlsUrl needs Router:CertificatePath (a PEM certificate with Router:CertificateKeyPath, or a .pfx)")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<RouteSnapshotClient>();
        services.AddSingleton<InstanceAddressChooser>();
        services.AddSingleton<RouteTableLoader>();
        services.AddSingleton<AccessLogQueue>();
        services.AddSingleton<RouterMetrics>();
        services.AddSingleton<AppStatsCollector>();
        services.AddSingleton<RouterHost>();
        // Order matters: the first table is loaded before the router starts listening.
        services.AddHostedService(sp => sp.GetRequiredService<RouteTableLoader>());
        services.AddHostedService<AccessLogShipper>();
        services.AddHostedService(sp => sp.GetRequiredService<RouterHost>());
        return services;
    }

    /// <summary>
    /// Subscribes this router to instance and route changes on a temporary queue of its own
    /// (<paramref name="instanceId"/> makes it unique), so every router gets every event, and publishes the router's
    /// per-app request reports (<see cref="AppStatsPublisher"/>).
    /// </summary>
    public static void AddRouterConsumers(this IBusRegistrationConfigurator x, string instanceId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        x.AddConsumer<RouteChangeConsumer>().Endpoint(e =>
        {
            e.InstanceId = instanceId;
            e.Temporary = true;
        });
        // The per-app request reports for the dashboard go out on the same bus.
        x.AddHostedService<AppStatsPublisher>();
    }
}
