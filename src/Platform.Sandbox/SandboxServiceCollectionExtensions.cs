using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Sandbox.Layers;

namespace Platform.Sandbox;

public static class SandboxServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ISandbox"/> (one <see cref="Sandbox"/> per process), the <see cref="LayerCache"/> and
    /// <see cref="SandboxOptions"/> bound from the "Sandbox" section.
    /// </summary>
    public static IServiceCollection AddPlatformSandbox(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SandboxOptions>().Bind(configuration.GetSection(SandboxOptions.SectionName));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<Sandbox>();
        services.TryAddSingleton<ISandbox>(sp => sp.GetRequiredService<Sandbox>());
        services.TryAddSingleton(sp => new LayerCache(
            sp.GetRequiredService<IOptions<SandboxOptions>>().Value.ResolvedLayersDirectory,
            sp.GetService<ILogger<LayerCache>>()));
        return services;
    }
}
