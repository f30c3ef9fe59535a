using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Platform.Router;

public static class RouterServiceCollectionExtensions
{
    /// <summary>
    /// Registers the router role: the route table (loaded from <c>IDbContextFactory&lt;PlatformDbContext&gt;</c>,
    /// which the caller registers, e.g. with AddPlatformData), the batched access-log writer, and a hosted
    /// service that runs the proxy on its own Kestrel endpoint. Settings come from the "Router" section:
    /// <c>Url</c>, <c>AppsDomain</c>, <c>ResyncSeconds</c>, <c>UseHostAddress</c>,
    /// <c>PassiveHealthReactivationSeconds</c>, <c>StickySessions</c>, <c>JSessionIdStickiness</c>, <c>AccessLogQueueCapacity</c>.
    /// </summary>
    public static IServiceCollection AddPlatformRouter(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RouterOptions>()
            .Bind(configuration.GetSection(RouterOptions.SectionName))
            .Validate(o => Uri.TryCreate(o.Url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https",
                "Router:Url must be an absolute http(s) URL, e.g. http://127.0.0.1:7080")
            .Validate(o => o.ResyncSeconds > 0, "Router:ResyncSeconds must be positive")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<RouteTableReader>();
        services.AddSingleton<RouteTableLoader>();
        services.AddSingleton<AccessLogQueue>();
        services.AddSingleton<RouterMetrics>();
        services.AddSingleton<AppStatsCollector>();
        services.AddSingleton<RouterHost>();
        // Order matters: the first table is loaded before the router starts listening.
        services.AddHostedService(sp => sp.GetRequiredService<RouteTableLoader>());
        services.AddHostedService<AccessLogWriter>();
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
