using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Contracts.Messages;

namespace Platform.Cell;

public static class CellServiceCollectionExtensions
{
    /// <summary>The cell role's services. Needs the sandbox, the blobstore and the bus registered beside it.</summary>
    public static IServiceCollection AddPlatformCell(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<CellOptions>(configuration.GetSection("Cell"));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<DropletLayers>();
        services.AddSingleton<CellReportClock>();
        services.AddSingleton<InstanceManager>();
        services.AddSingleton<LogShipper>();
        services.AddHostedService(sp => sp.GetRequiredService<LogShipper>());
        services.AddSingleton<Metrics.InstanceMetricsCollector>();
        // Before the heartbeater, so the first heartbeat already carries the exec URL.
        services.AddSingleton<Exec.CellExecHost>();
        services.AddHostedService(sp => sp.GetRequiredService<Exec.CellExecHost>());
        services.AddHostedService<CellHeartbeater>();
        return services;
    }

    /// <summary>The cell's command consumers, on this cell's own queue.</summary>
    public static void AddCellConsumers(this IBusRegistrationConfigurator bus, string cellId)
    {
        var queue = Queues.Cell(cellId);
        bus.AddConsumer<StartInstanceConsumer>().Endpoint(e => e.Name = queue);
        bus.AddConsumer<StopInstanceConsumer>().Endpoint(e => e.Name = queue);
    }
}
