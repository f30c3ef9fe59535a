using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Platform.Scheduler;

public static class PlatformSchedulerServiceCollectionExtensions
{
    /// <summary>
    /// The scheduler role: the convergence loop and the handlers behind its consumers. Needs AddPlatformData
    /// (the database and the outbox); the consumers are registered on the bus with <see cref="AddSchedulerConsumers"/>.
    /// </summary>
    public static IServiceCollection AddPlatformScheduler(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(SchedulerOptions.Section).Get<SchedulerOptions>() ?? new SchedulerOptions();
        options.Validate();
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<PlacementPolicy>();
        services.AddSingleton<CrashPolicy>();
        services.AddSingleton<ConvergencePlanner>();
        services.AddSingleton<HeartbeatReconciler>();
        services.AddSingleton<InstanceJournal>();
        services.AddSingleton<ConvergenceTrigger>();
        services.AddSingleton<Converger>();
        services.AddSingleton<InstanceStateHandler>();
        services.AddSingleton<CellHeartbeatHandler>();
        services.AddSingleton<SchedulerMetrics>();
        var connectionString = configuration.GetConnectionString("Platform")
            ?? throw new InvalidOperationException("the scheduler needs ConnectionStrings:Platform (its leadership is a Postgres lock)");
        services.AddSingleton(sp => new SchedulerLeadership(connectionString, sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<SchedulerLeadership>>()));
        services.AddHostedService<ConvergenceLoop>();
        return services;
    }

    /// <summary>
    /// The scheduler's consumers. Their queues are named for the scheduler, so every scheduler process shares
    /// them (each event is handled once) and no other role's consumer of the same event competes for them.
    /// </summary>
    public static IBusRegistrationConfigurator AddSchedulerConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<InstanceStateChangedConsumer>().Endpoint(e => e.Name = "scheduler-instance-state");
        bus.AddConsumer<CellHeartbeatConsumer>().Endpoint(e => e.Name = "scheduler-cell-heartbeat");
        bus.AddConsumer<AppChangedConsumer>().Endpoint(e => e.Name = "scheduler-app-changed");
        return bus;
    }
}
