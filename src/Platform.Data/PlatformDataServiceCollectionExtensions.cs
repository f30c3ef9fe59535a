using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Data.Outbox;

namespace Platform.Data;

public static class PlatformDataServiceCollectionExtensions
{
    /// <summary>Name of the connection string (<c>ConnectionStrings:Platform</c>).</summary>
    public const string ConnectionStringName = "Platform";

    /// <summary>
    /// Registers <see cref="PlatformDbContext"/> on PostgreSQL (a pooled <see cref="IDbContextFactory{TContext}"/>
    /// and a scoped context), the <see cref="DatabaseMigrator"/>, and the transactional outbox: the
    /// <see cref="OutboxSignal"/> that wakes the dispatcher after a save, and the <see cref="OutboxDispatcher"/>
    /// hosted service (unless <c>Outbox:DispatcherEnabled</c> is false), which needs an
    /// <see cref="Platform.Contracts.Messages.IMessageDispatcher"/> (Platform.Bus's AddPlatformBus registers one).
    /// </summary>
    public static IServiceCollection AddPlatformData(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionStringName} is not set: give the PostgreSQL connection string " +
                "(e.g. PLATFORM_ConnectionStrings__Platform='Host=127.0.0.1;Port=5432;Username=platform;Password=...;Database=platform').");

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<OutboxSignal>();
        services.TryAddSingleton<OutboxWakeInterceptor>();
        services.AddPooledDbContextFactory<PlatformDbContext>((sp, options) =>
        {
            options.UseNpgsql(connectionString);
            options.AddInterceptors(sp.GetRequiredService<OutboxWakeInterceptor>());
        });
        services.TryAddScoped(sp => sp.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContext());
        services.TryAddSingleton<DatabaseMigrator>();
        // "ready": /readyz of platd (Platform.Hosting) asks every check with that tag.
        services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: ["ready"]);

        services.AddOptions<OutboxOptions>().Bind(configuration.GetSection(OutboxOptions.Section));
        if (configuration.GetSection(OutboxOptions.Section).GetValue(nameof(OutboxOptions.DispatcherEnabled), true))
            services.AddHostedService<OutboxDispatcher>();
        return services;
    }
}
