using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Contracts.Messages;
using Platform.Staging.Buildpacks;
using Platform.Staging.Dependencies;
using Platform.Staging.Layers;
using Platform.Staging.Lifecycle;

namespace Platform.Staging;

public static class StagingServiceCollectionExtensions
{
    /// <summary>
    /// Registers the stager's services and binds <see cref="StagingOptions"/> from the "Staging" section.
    /// Needs IBlobStore (AddPlatformBlobstore), ISandbox (AddPlatformSandbox) and IMessageDispatcher (the bus).
    /// </summary>
    public static IServiceCollection AddPlatformStaging(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StagingOptions>()
            .Bind(configuration.GetSection(StagingOptions.SectionName))
            .Validate(o => !string.IsNullOrWhiteSpace(o.StackRootfs), "Staging:StackRootfs is required")
            .Validate(o => !string.IsNullOrWhiteSpace(o.CacheDir), "Staging:CacheDir is required")
            .Validate(o => !string.IsNullOrWhiteSpace(o.WorkDir), "Staging:WorkDir is required")
            .Validate(o => o.DefaultMemoryMb > 0, "Staging:DefaultMemoryMb must be positive")
            .Validate(o => o.StepTimeout > TimeSpan.Zero, "Staging:StepTimeout must be positive")
            .Validate(o => o.AdvertiseInterval > TimeSpan.Zero, "Staging:AdvertiseInterval must be positive");
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<BuildpackCatalog>();
        services.AddSingleton<DebianPackageFetcher>();
        services.AddSingleton<NpmPackageFetcher>();
        services.AddSingleton<HostDotnetRuntime>();
        services.AddSingleton<LayerFiles>();
        services.AddSingleton<DependencyLayers>();
        services.AddSingleton<StackLayer>();
        services.AddSingleton<LifecycleRunner>();
        services.AddSingleton<StagingContainerPool>();
        services.AddSingleton<Stager>();
        services.AddSingleton<StagingJanitor>();
        services.AddHostedService(sp => sp.GetRequiredService<StagingJanitor>());
        // After the janitor: its sweep at start would take a spare started before it for a leftover.
        services.AddHostedService(sp => sp.GetRequiredService<StagingContainerPool>());
        services.AddSingleton<CatalogAdvertiser>();
        services.AddHostedService(sp => sp.GetRequiredService<CatalogAdvertiser>());
        return services;
    }

    /// <summary>Registers the <see cref="StageApp"/> consumer on the <see cref="Queues.Stage"/> endpoint.</summary>
    public static void AddStagerConsumers(this IBusRegistrationConfigurator x)
    {
        // Staging is CPU- and disk-heavy (packing, gzip): two builds at a time per stager keep a small host responsive.
        x.AddConsumer<StageAppConsumer>(c => c.ConcurrentMessageLimit = 2).Endpoint(e =>
        {
            e.Name = Queues.Stage;
            // StageApp is sent to this queue, never published: no exchange of the message type is bound to it.
            e.ConfigureConsumeTopology = false;
        });
    }
}
