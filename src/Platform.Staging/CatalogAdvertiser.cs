using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Contracts.Messages;
using Platform.Staging.Buildpacks;
using Platform.Staging.Layers;

namespace Platform.Staging;

/// <summary>
/// Publishes <see cref="StagerCatalogAdvertised"/> at start and every <see cref="StagingOptions.AdvertiseInterval"/>:
/// what this stager's buildpacks directory holds, in detect order, and its stack with the digest of its layer.
/// The API lists buildpacks and stacks from these, so it needs neither the stager's disk nor a reference to it.
/// </summary>
public sealed class CatalogAdvertiser(
    BuildpackCatalog catalog,
    StackLayer stackLayer,
    IMessageDispatcher dispatcher,
    IOptions<StagingOptions> options,
    TimeProvider time,
    ILogger<CatalogAdvertiser> logger) : BackgroundService
{
    private readonly StagingOptions _options = options.Value;

    /// <summary>Names this stager in its advertisements: the host and process.</summary>
    public string StagerId { get; } = $"stager-{Environment.MachineName.ToLowerInvariant()}-{Environment.ProcessId}";

    public async Task<StagerCatalogAdvertised> DescribeAsync(CancellationToken cancellationToken)
    {
        var buildpacks = new List<StagerBuildpack>();
        foreach (var entry in catalog.Describe())
        {
            buildpacks.Add(entry.Buildpack is { } b
                ? new StagerBuildpack(b.Name, b.Version, buildpacks.Count + 1, _options.StackName,
                    b.Manifest.Dependencies.Select(d => $"{d.Name} {d.Version}").ToList(), null)
                : new StagerBuildpack(entry.DirectoryName, "?", buildpacks.Count + 1, _options.StackName, [], entry.Error));
        }
        var packed = await stackLayer.LastPackedAsync(cancellationToken);
        var stack = new StagerStack(_options.StackName, $"Debian {_options.StackName} (debootstrap --variant=minbase)",
            packed?.Digest, packed?.Size);
        return new StagerCatalogAdvertised(StagerId, buildpacks, [stack], time.GetUtcNow(), _options.AdvertiseInterval);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first ones come quickly (1 s, 2 s, 4 s... up to the interval): an API that starts with this stager,
        // or a bus still starting, would otherwise wait a whole interval to hear of it.
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await dispatcher.DispatchAsync(await DescribeAsync(stoppingToken), null, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "could not advertise the stager's buildpacks and stacks; retrying in {Delay}", delay);
            }
            try
            {
                await Task.Delay(delay, time, stoppingToken);
                delay = delay * 2 < _options.AdvertiseInterval ? delay * 2 : _options.AdvertiseInterval;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
