using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Sandbox;

namespace Platform.Staging;

/// <summary>
/// At start, removes what a crashed stager left behind: staging containers (ids "stg-...") and build work
/// directories. A build interrupted that way is redelivered by the bus and starts afresh anyway.
/// </summary>
public sealed class StagingJanitor(ISandbox sandbox, IOptions<StagingOptions> options, ILogger<StagingJanitor> logger) : IHostedService
{
    /// <summary>Every staging container's id starts with this.</summary>
    public const string ContainerPrefix = "stg-";

    public Task StartAsync(CancellationToken cancellationToken) => CleanUpAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task CleanUpAsync(CancellationToken cancellationToken)
    {
        foreach (var id in await sandbox.ListAsync(cancellationToken))
        {
            if (!id.StartsWith(ContainerPrefix, StringComparison.Ordinal)) continue;
            logger.LogInformation("destroying leftover staging container {Id}", id);
            await sandbox.DestroyAsync(id, TimeSpan.Zero, cancellationToken);
        }
        var work = options.Value.WorkDir;
        if (!Directory.Exists(work)) return;
        foreach (var dir in Directory.GetDirectories(work))
        {
            logger.LogInformation("removing leftover staging work directory {Dir}", dir);
            Directory.Delete(dir, recursive: true);
        }
    }
}
