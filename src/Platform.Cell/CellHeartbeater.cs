using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Contracts.Messages;

namespace Platform.Cell;

/// <summary>
/// Re-adopts what an earlier run of the agent left running, then publishes a <see cref="CellHeartbeat"/> with the
/// full list of instances every few seconds, so the scheduler can reconcile even when single state changes were lost.
/// On shutdown it leaves the instances running for the next agent, or stops them when Cell:StopInstancesOnShutdown.
/// </summary>
public sealed class CellHeartbeater(
    InstanceManager instances,
    Metrics.InstanceMetricsCollector metrics,
    Exec.CellExecHost exec,
    IMessageDispatcher dispatcher,
    IOptions<CellOptions> options,
    TimeProvider time,
    ILogger<CellHeartbeater> logger) : BackgroundService
{
    private readonly CellOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Before the first heartbeat: it must list the instances an earlier agent left running, or the scheduler
        // would take them for crashed.
        await instances.RestoreAsync(stoppingToken);
        var memory = _options.MemoryCapacityMb > 0 ? _options.MemoryCapacityMb : HostMemoryMb() - 1024;
        logger.LogInformation("cell {CellId} ready: {Memory} MB for instances", _options.Id, memory);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.HeartbeatSeconds), time);
        do
        {
            try
            {
                // The version is the snapshot's: the metrics read afterwards do not make the list any newer.
                var (list, version) = instances.Snapshot();
                var reports = await metrics.AttachAsync(list, instances.DiskMbOf, stoppingToken);
                await dispatcher.DispatchAsync(new CellHeartbeat(_options.Id, _options.Host, memory, _options.DiskCapacityMb,
                    _options.MaxInstances, reports, version, time.GetUtcNow(), exec.AdvertisedUrl, exec.Token), null, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "heartbeat failed");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_options.StopInstancesOnShutdown) await instances.StopAllAsync(cancellationToken);
        else instances.Release(); // an upgrade or restart of the agent: the next one adopts them
    }

    private static int HostMemoryMb()
    {
        foreach (var line in File.ReadLines("/proc/meminfo"))
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                return (int)(long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
                    System.Globalization.CultureInfo.InvariantCulture) / 1024);
        return 4096;
    }
}
