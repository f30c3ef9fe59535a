using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Router;

/// <summary>
/// Keeps <see cref="Current"/> up to date: loads the table at start, again whenever <see cref="RequestReload"/>
/// is called (bus consumers do on instance and route changes), and every <c>Router:ResyncSeconds</c> as a
/// safety net for lost messages. Reloads run one at a time; requests that arrive during a reload fold into a
/// single follow-up reload.
/// </summary>
public sealed class RouteTableLoader(
    RouteTableReader reader,
    IOptions<RouterOptions> options,
    TimeProvider time,
    ILogger<RouteTableLoader> logger) : BackgroundService
{
    // Capacity 1 + DropWrite: any number of requests while one is pending collapse into that one.
    private readonly Channel<bool> _requests = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly SemaphoreSlim _reloadLock = new(1, 1);
    private long _generation;

    /// <summary>The newest table; <see cref="RouteTable.Empty"/> until the first load succeeds.</summary>
    public RouteTable Current { get; private set; } = RouteTable.Empty;

    /// <summary>How many tables have been loaded so far.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Raised after <see cref="Current"/> changed, on the reloading thread.</summary>
    public event Action<RouteTable>? Reloaded;

    /// <summary>Asks for a reload soon; never blocks, safe to call from anywhere and often.</summary>
    public void RequestReload() => _requests.Writer.TryWrite(true);

    /// <summary>Reloads now and returns the new table (waits for a reload already in flight first).</summary>
    public async Task<RouteTable> ReloadAsync(CancellationToken cancellationToken)
    {
        await _reloadLock.WaitAsync(cancellationToken);
        try
        {
            var table = await reader.ReadAsync(cancellationToken);
            Current = table;
            Interlocked.Increment(ref _generation);
            Reloaded?.Invoke(table);
            logger.LogDebug("Route table loaded: {Routes} route(s), {Backends} backend(s)",
                table.Routes.Count, table.Routes.Sum(r => r.Backends.Count));
            return table;
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // A full snapshot before the router serves its first request.
        await TryReloadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var resync = TimeSpan.FromSeconds(Math.Max(1, options.Value.ResyncSeconds));
        Task<bool>? requested = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            requested ??= _requests.Reader.WaitToReadAsync(stoppingToken).AsTask();
            using (var delayCancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                var resyncDue = Task.Delay(resync, time, delayCancel.Token);
                await Task.WhenAny(requested, resyncDue);
                delayCancel.Cancel();
            }
            if (stoppingToken.IsCancellationRequested) break;
            if (requested.IsCompleted)
            {
                requested = null;
                _requests.Reader.TryRead(out _);
            }
            await TryReloadAsync(stoppingToken);
        }
    }

    private async Task TryReloadAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReloadAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // Keep serving the last good table; the next request or resync tries again.
            logger.LogWarning(e, "Reloading the route table failed; keeping the previous one");
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _reloadLock.Dispose();
    }
}
