using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Staging.Lifecycle;

/// <summary>
/// Keeps one staging container started ahead of the next build (Staging:SpareContainer), so that a build does not wait
/// for a sandbox start (~70 ms on an idle two-core host, several times that under load): the build takes the spare,
/// and another is started once the build is over (<see cref="Refill"/>), not while it runs, where it would compete
/// with the build's steps for the CPU. A spare holds nothing of any build until it is taken (the stack, the network, a
/// sleeping process), and a container serves one build only: it is destroyed when the build ends. A build whose memory
/// exceeds the spare's (Staging:MinimumMemoryMb), or that finds no spare ready, starts a container of its own.
/// </summary>
public sealed class StagingContainerPool(LifecycleRunner runner, IOptions<StagingOptions> options, ILogger<StagingContainerPool> logger)
    : IHostedService, IAsyncDisposable
{
    private readonly object _gate = new();
    private Task<StagingContainer>? _spare;
    private bool _stopped;

    /// <summary>A running staging container with at least <paramref name="memoryBytes"/> of memory, for one build.</summary>
    public async Task<StagingContainer> TakeAsync(long memoryBytes, CancellationToken cancellationToken)
    {
        Task<StagingContainer>? spare = null;
        if (memoryBytes <= runner.MinimumMemory)
        {
            // Taken even while it is still starting: it is further along than a container started now.
            lock (_gate) (spare, _spare) = (_spare, null);
        }
        if (spare is not null)
        {
            try
            {
                var container = await spare.WaitAsync(cancellationToken);
                if (container.IsRunning) return container;
                await container.DestroyAsync(); // ended while it waited (a janitor's sweep): start one now
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "the spare staging container did not start; starting one for the build");
            }
        }
        return await runner.StartAsync(runner.ContainerMemory(memoryBytes), cancellationToken);
    }

    /// <summary>Starts a spare when there is none (in the background: nothing waits for it).</summary>
    public void Refill()
    {
        if (!options.Value.SpareContainer) return;
        lock (_gate)
        {
            if (_stopped || _spare is not null) return;
            var starting = runner.StartAsync(runner.MinimumMemory, CancellationToken.None);
            _spare = starting;
            // A spare that fails to start is forgotten (the next build starts its own, and says why if it fails too).
            _ = starting.ContinueWith(t =>
            {
                logger.LogWarning(t.Exception, "starting a spare staging container failed");
                lock (_gate) if (_spare == starting) _spare = null;
            }, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    /// <summary>At start (after the janitor swept what an earlier stager left), one spare for the first build.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Refill();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        Task<StagingContainer>? spare;
        lock (_gate)
        {
            _stopped = true;
            (spare, _spare) = (_spare, null);
        }
        if (spare is null) return;
        try
        {
            await (await spare).DestroyAsync();
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "the spare staging container never started");
        }
    }
}
