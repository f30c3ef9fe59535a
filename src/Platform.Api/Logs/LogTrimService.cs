using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Api.Logs;

/// <summary>Runs the <see cref="LogTrimmer"/> every Api:LogTrimIntervalSeconds rather than on each insert.</summary>
public sealed class LogTrimService(
    IServiceScopeFactory scopes, IOptions<ApiOptions> options, TimeProvider time, ILogger<LogTrimService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.LogTrimIntervalSeconds)), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var deleted = await scope.ServiceProvider.GetRequiredService<LogTrimmer>().TrimAsync(stoppingToken);
                if (deleted > 0)
                    logger.LogDebug("Trimmed {Count} old log lines", deleted);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Trimming log lines failed; will try again");
            }
        }
    }
}
