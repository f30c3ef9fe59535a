using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Scheduler;

/// <summary>
/// While this scheduler is the active one (<see cref="SchedulerLeadership"/>), runs a <see cref="Converger"/> pass every
/// Scheduler:ConvergeIntervalSeconds, or sooner when poked; a standby tries for leadership every LeaderPollSeconds.
/// </summary>
public sealed class ConvergenceLoop(
    Converger converger,
    ConvergenceTrigger trigger,
    SchedulerLeadership leadership,
    SchedulerMetrics metrics,
    IOptions<SchedulerOptions> options,
    ILogger<ConvergenceLoop> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.ConvergeInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            var leading = false;
            try
            {
                leading = await leadership.TryLeadAsync(stoppingToken);
                metrics.SetLeader(leading);
                if (leading)
                {
                    var started = Stopwatch.GetTimestamp();
                    await converger.ConvergeOnceAsync(stoppingToken);
                    await metrics.RecordPassAsync(Stopwatch.GetElapsedTime(started), stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The database may be briefly away; nothing was half-written (one transaction per pass).
                logger.LogWarning(ex, "Convergence pass failed; trying again");
            }
            try
            {
                await trigger.WaitAsync(leading ? interval : options.Value.LeaderPoll, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        await leadership.DisposeAsync();
        metrics.SetLeader(false);
    }
}
