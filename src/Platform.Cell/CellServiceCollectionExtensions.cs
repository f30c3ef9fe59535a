using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Platform.Contracts.Messages;

namespace Platform.Cell;

public static class CellServiceCollectionExtensions
{
    /// <summary>The cell role's services. Needs the sandbox, the blobstore and the bus registered beside it.</summary>
    public static IServiceCollection AddPlatformCell(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<CellOptions>(configuration.GetSection("Cell"));
        services.AddOptions<CellOptions>()
            .Validate(o => o.ExecGrantSeconds is > 0 and <= 3600, "Cell:ExecGrantSeconds must be between 1 and 3600 (seconds a nonce for an exec grant stays good)")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<DropletLayers>();
        services.AddSingleton<CellReportClock>();
        services.AddSingleton<InstanceManager>();
        services.AddSingleton<LogShipper>();
        services.AddHostedService(sp => sp.GetRequiredService<LogShipper>());
        services.AddSingleton<Metrics.InstanceMetricsCollector>();
        // Before the heartbeater, so the first heartbeat already carries the exec URL.
        services.AddSingleton<Exec.ExecNonces>();
        services.AddSingleton<Exec.CellExecHost>();
        services.AddHostedService(sp => sp.GetRequiredService<Exec.CellExecHost>());
        services.AddSingleton<CellEvacuationState>();
        services.AddSingleton<CellHeartbeater>();
        services.AddHostedService(sp => sp.GetRequiredService<CellHeartbeater>());
        services.AddSingleton<CellMetrics>();
        var cell = configuration.GetSection("Cell").Get<CellOptions>() ?? new CellOptions();
        if (cell.Evacuate)
        {
            services.AddHostedService<CellEvacuation>();
            // Evacuating runs within the host's shutdown timeout: leave it room.
            services.Configure<HostOptions>(o =>
            {
                var needed = TimeSpan.FromSeconds(cell.EvacuationTimeoutSeconds + cell.StopGraceSeconds + 30);
                if (o.ShutdownTimeout < needed) o.ShutdownTimeout = needed;
            });
        }
        return services;
    }

    /// <summary>The cell's command consumers, on this cell's own queue.</summary>
    public static void AddCellConsumers(this IBusRegistrationConfigurator bus, string cellId)
    {
        var queue = Queues.Cell(cellId);
        // Commands are sent to the cell's queue, never published: binding the message types' exchanges to it would
        // hand every cell whatever anyone published, and needs read access to those exchanges (see RabbitMqPermissions).
        bus.AddConsumer<StartInstanceConsumer>().Endpoint(e => { e.Name = queue; e.ConfigureConsumeTopology = false; });
        bus.AddConsumer<StopInstanceConsumer>().Endpoint(e => { e.Name = queue; e.ConfigureConsumeTopology = false; });
    }
}
