using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Scheduler;

/// <summary>Runs a <see cref="Converger"/> pass every Scheduler:ConvergeIntervalSeconds, or sooner when poked.</summary>
public sealed class ConvergenceLoop(
    Converger converger,
    ConvergenceTrigger trigger,
    IOptions<SchedulerOptions> options,
    ILogger<ConvergenceLoop> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.ConvergeInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await converger.ConvergeOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The database may be briefly away; nothing was half-written (one transaction per pass).
                logger.LogWarning(ex, "Convergence pass failed; trying again");
            }
            try
            {
                await trigger.WaitAsync(interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
