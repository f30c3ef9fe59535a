using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Contracts.Messages;

namespace Platform.Router;

/// <summary>
/// Keeps <see cref="Current"/> up to date: loads a snapshot from the API at start, again whenever
/// <see cref="RequestReload"/> is called (on <see cref="AppDesiredStateChanged"/>, and when a state change names an instance
/// the snapshot does not have), and every <c>Router:ResyncSeconds</c> as a safety net for lost messages; instance state
/// changes from the bus are applied at once (<see cref="Apply"/>). Reloads run one at a time; requests that arrive
/// during a reload fold into a single follow-up reload. When the API cannot be reached, the last good table stays.
/// </summary>
public sealed class RouteTableLoader(
    RouteSnapshotClient snapshots,
    InstanceAddressChooser addresses,
    IOptions<RouterOptions> options,
    TimeProvider time,
    ILogger<RouteTableLoader> logger) : BackgroundService
{
    private readonly RouteTableState _state = new(addresses, logger);
    private readonly Lock _stateLock = new();
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
            long mark;
            lock (_stateLock) mark = _state.BeginFetch();
            var snapshot = await snapshots.GetAsync(cancellationToken);
            RouteTable table;
            lock (_stateLock)
            {
                _state.ApplySnapshot(snapshot, mark);
                table = Publish();
            }
            logger.LogDebug("Route table loaded: {Routes} route(s), {Backends} backend(s)",
                table.Routes.Count, table.Routes.Sum(r => r.Backends.Count));
            return table;
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    /// <summary>
    /// Applies an instance's state change heard on the bus to the table now, without asking the API; an instance the
    /// last snapshot does not know also gets a snapshot reload requested.
    /// </summary>
    public void Apply(InstanceStateChanged change)
    {
        bool unknown;
        lock (_stateLock)
        {
            if (_state.Apply(change, out unknown)) Publish();
        }
        if (unknown) RequestReload();
    }

    // Under _stateLock, so tables are published in the order their state was built.
    private RouteTable Publish()
    {
        var table = _state.Build();
        Current = table;
        Interlocked.Increment(ref _generation);
        Reloaded?.Invoke(table);
        return table;
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
            logger.LogWarning("Loading the route table from {ApiUrl} failed ({Error}); keeping the previous one",
                options.Value.ApiUrl, e.Message);
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _reloadLock.Dispose();
    }
}
