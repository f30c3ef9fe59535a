using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Cell;

/// <summary>Whether this cell is evacuating; heartbeats carry it to the scheduler.</summary>
public sealed class CellEvacuationState
{
    private volatile bool _evacuating;
    public bool Evacuating => _evacuating;
    public void Begin() => _evacuating = true;
}

/// <summary>
/// Diego's evacuation on a graceful stop (Cell:Evacuate): before any hosted service stops (the bus and the heartbeats
/// still run), the cell says it is evacuating; the scheduler places each of its instances on another cell and, once the
/// new one is RUNNING (and routed), sends this cell the stop. The agent goes on stopping when it runs nothing more, or
/// after Cell:EvacuationTimeoutSeconds, leaving whatever is left to Cell:StopInstancesOnShutdown.
/// </summary>
public sealed class CellEvacuation(
    InstanceManager instances,
    CellHeartbeater heartbeater,
    CellEvacuationState state,
    IOptions<CellOptions> options,
    TimeProvider time,
    ILogger<CellEvacuation> logger) : IHostedLifecycleService
{
    private readonly CellOptions _options = options.Value;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (!_options.Evacuate) return;
        var started = time.GetTimestamp();
        var deadline = TimeSpan.FromSeconds(_options.EvacuationTimeoutSeconds);
        state.Begin();
        logger.LogInformation("cell {CellId} evacuating {Count} instance(s)", _options.Id, instances.LiveCount);
        try
        {
            await heartbeater.BeatAsync(cancellationToken);
            while (instances.Count > 0 && time.GetElapsedTime(started) < deadline)
                await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout: stop as usual.
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "evacuation of cell {CellId} failed", _options.Id);
        }
        if (instances.Count == 0)
            logger.LogInformation("cell {CellId} evacuated in {Seconds:F1} s", _options.Id, time.GetElapsedTime(started).TotalSeconds);
        else
            logger.LogWarning("cell {CellId}: {Count} instance(s) not evacuated within {Timeout} s", _options.Id, instances.Count,
                _options.EvacuationTimeoutSeconds);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
