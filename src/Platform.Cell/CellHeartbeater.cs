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
    CellEvacuationState evacuation,
    IMessageDispatcher dispatcher,
    IOptions<CellOptions> options,
    TimeProvider time,
    ILogger<CellHeartbeater> logger) : BackgroundService
{
    private readonly CellOptions _options = options.Value;
    private readonly SemaphoreSlim _sending = new(1, 1);

    /// <summary>The memory the scheduler may place here.</summary>
    public int MemoryCapacityMb { get; } = options.Value.MemoryCapacityMb > 0 ? options.Value.MemoryCapacityMb : HostMemoryMb() - 1024;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Before the first heartbeat: it must list the instances an earlier agent left running, or the scheduler
        // would take them for crashed.
        await instances.RestoreAsync(stoppingToken);
        logger.LogInformation("cell {CellId} ready in zone {Zone}: {Memory} MB for instances", _options.Id,
            _options.Zone.Length > 0 ? _options.Zone : "(none)", MemoryCapacityMb);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.HeartbeatSeconds), time);
        do
        {
            try
            {
                await BeatAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "heartbeat failed");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Publishes one heartbeat now (also when evacuation begins, so the scheduler hears of it at once).</summary>
    public async Task BeatAsync(CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            // The version is the snapshot's: the metrics read afterwards do not make the list any newer.
            var (list, version) = instances.Snapshot();
            var reports = await metrics.AttachAsync(list, instances.DiskMbOf, cancellationToken);
            await dispatcher.DispatchAsync(new CellHeartbeat(_options.Id, _options.Host, MemoryCapacityMb, _options.DiskCapacityMb,
                _options.MaxInstances, reports, version, time.GetUtcNow(), exec.AdvertisedUrl,
                _options.Zone, evacuation.Evacuating), null, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
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
