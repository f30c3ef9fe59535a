using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Api.Endpoints;
using Platform.Contracts.Api;
using Platform.Data;

namespace Platform.Api.Logs;

/// <summary>
/// <see cref="IAppLogStream"/> over the log_lines table. Lines come from several writers (this API's consumers, other
/// API processes, routers), so for each app someone follows, one query per Api:LogPollMilliseconds finds its newest id
/// (for all followed apps at once), and lines stored by this process wake followers at once.
/// </summary>
/// <remarks>
/// Ids come from a sequence, so a writer can commit id 101 before another commits 100. A line is therefore handed out
/// only once it has been visible for a whole poll: lines up to the newest id of the previous look (the "settled"
/// id). A writer's transaction is one insert of a batch and takes milliseconds, far less than the poll; a stalled
/// one that takes longer could still be skipped. The bounded buffers that will replace these rows number lines as
/// they append them and have no such window.
/// </remarks>
public sealed class PostgresAppLogStream(
    IServiceScopeFactory scopes, IOptions<ApiOptions> options, TimeProvider time, ILogger<PostgresAppLogStream> logger)
    : BackgroundService, IAppLogStream
{
    private sealed class Followed
    {
        public int Waiters;
        /// <summary>The newest id seen by the last look, and the one before: lines up to <see cref="Settled"/> are final.</summary>
        public long Seen;
        public long Settled;
        public bool Known;
        public TaskCompletionSource Changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly Dictionary<Guid, Followed> _apps = new();
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _wake = new(0);

    public async Task<IReadOnlyList<LogLineResponse>> RecentAsync(Guid appId, int limit, CancellationToken ct)
    {
        var settled = Settled(appId);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var lines = db.LogLines.AsNoTracking().Where(l => l.AppId == appId);
        if (settled is { } s) lines = lines.Where(l => l.Id <= s);
        var page = await lines.OrderByDescending(l => l.Id).Take(limit).ToListAsync(ct);
        return page.OrderBy(l => l.Id).Select(Mapping.ToResponse).ToList();
    }

    public async Task<LogPage> AfterAsync(Guid appId, long afterId, int limit, CancellationToken ct)
    {
        var settled = Settled(appId);
        if (settled is { } s && s <= afterId) return new LogPage([], afterId);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var lines = db.LogLines.AsNoTracking().Where(l => l.AppId == appId && l.Id > afterId);
        if (settled is { } bound) lines = lines.Where(l => l.Id <= bound);
        var page = (await lines.OrderBy(l => l.Id).Take(limit).ToListAsync(ct)).Select(Mapping.ToResponse).ToList();
        var last = page.Count > 0 ? page[^1].Id : afterId;
        // A full page may have more after it; otherwise everything up to the settled id has been read.
        var through = page.Count == limit || settled is null ? last : Math.Max(last, settled.Value);
        return new LogPage(page, through);
    }

    public async Task WaitAsync(Guid appId, long afterId, CancellationToken ct)
    {
        Followed app;
        lock (_lock)
        {
            if (!_apps.TryGetValue(appId, out app!)) _apps[appId] = app = new Followed();
            app.Waiters++;
        }
        _wake.Release();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                Task changed;
                lock (_lock)
                {
                    if (app.Known && app.Settled > afterId) return;
                    changed = app.Changed.Task;
                }
                await changed.WaitAsync(ct);
            }
        }
        finally
        {
            lock (_lock)
            {
                // The app stays followed for a while after (LookAsync drops it): a stream between two waits keeps its settled id.
                app.Waiters--;
            }
        }
    }

    public void Appended(Guid appId)
    {
        lock (_lock)
            if (!_apps.ContainsKey(appId)) return;
        _wake.Release();
    }

    /// <summary>The settled id of a followed app, or null for an app no one follows (its reads are not bounded).</summary>
    private long? Settled(Guid appId)
    {
        lock (_lock) return _apps.TryGetValue(appId, out var a) && a.Known ? a.Settled : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMilliseconds(Math.Max(20, options.Value.LogPollMilliseconds));
        var idleSince = new Dictionary<Guid, DateTimeOffset>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Looks every interval; a line stored here, or a new follower, makes it look sooner (but never twice
                // within half an interval, so a busy app costs at most two queries per interval).
                using (var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
                {
                    tick.CancelAfter(interval);
                    try { await _wake.WaitAsync(tick.Token); }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested) { }
                }
                while (_wake.CurrentCount > 0) await _wake.WaitAsync(stoppingToken);
                await LookAsync(idleSince, stoppingToken);
                await Task.Delay(interval / 2, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Looking for new log lines failed; trying again");
                await Task.Delay(interval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task LookAsync(Dictionary<Guid, DateTimeOffset> idleSince, CancellationToken ct)
    {
        List<Guid> ids;
        var now = time.GetUtcNow();
        lock (_lock)
        {
            // An app no one has waited on for a minute is dropped; one that is still followed is looked at.
            foreach (var (id, app) in _apps)
            {
                if (app.Waiters > 0) idleSince.Remove(id);
                else if (!idleSince.ContainsKey(id)) idleSince[id] = now;
            }
            foreach (var (id, since) in idleSince.ToList())
                if (now - since > TimeSpan.FromMinutes(1) || !_apps.ContainsKey(id))
                {
                    _apps.Remove(id);
                    idleSince.Remove(id);
                }
            ids = _apps.Keys.ToList();
        }
        if (ids.Count == 0) return;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var newest = await db.LogLines.Where(l => ids.Contains(l.AppId)).GroupBy(l => l.AppId)
            .Select(g => new { g.Key, Max = g.Max(l => l.Id) }).ToDictionaryAsync(x => x.Key, x => x.Max, ct);
        lock (_lock)
        {
            foreach (var id in ids)
            {
                if (!_apps.TryGetValue(id, out var app)) continue;
                var max = newest.GetValueOrDefault(id);
                // First look: what is there now is taken as settled (the stream starts from it).
                var settled = app.Known ? Math.Min(app.Seen, max) : max;
                var grew = !app.Known || settled > app.Settled;
                app.Settled = Math.Max(app.Settled, settled);
                app.Seen = max;
                app.Known = true;
                if (grew)
                {
                    var changed = app.Changed;
                    app.Changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    changed.SetResult();
                }
            }
        }
    }
}
