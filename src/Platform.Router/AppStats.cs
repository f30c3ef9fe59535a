using System.Collections.Concurrent;
using MassTransit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Contracts.Messages;

namespace Platform.Router;

/// <summary>
/// Counts each app's requests, 5xx answers and latency in memory (a few interlocked adds per request, no allocation
/// once the app has been seen), for <see cref="AppStatsPublisher"/> to report on the bus every few seconds.
/// </summary>
public sealed class AppStatsCollector
{
    private sealed class Counters
    {
        public long Requests;
        public long Errors5xx;
        public long LatencyMicros;
        public readonly long[] Buckets = new long[LatencyBuckets.Count];
    }

    private readonly ConcurrentDictionary<Guid, Counters> _apps = new();

    public void Record(Guid appId, int statusCode, TimeSpan elapsed)
    {
        var c = _apps.GetOrAdd(appId, _ => new Counters());
        Interlocked.Increment(ref c.Requests);
        if (statusCode >= 500) Interlocked.Increment(ref c.Errors5xx);
        Interlocked.Add(ref c.LatencyMicros, (long)(elapsed.TotalMilliseconds * 1000));
        Interlocked.Increment(ref c.Buckets[LatencyBuckets.IndexOf(elapsed.TotalMilliseconds)]);
    }

    /// <summary>What was counted since the last call, per app with requests; the counters start again from zero.</summary>
    public List<AppRequestStats> TakeSnapshot()
    {
        var result = new List<AppRequestStats>();
        foreach (var (appId, c) in _apps)
        {
            var requests = Interlocked.Exchange(ref c.Requests, 0);
            var errors = Interlocked.Exchange(ref c.Errors5xx, 0);
            var micros = Interlocked.Exchange(ref c.LatencyMicros, 0);
            var buckets = new long[c.Buckets.Length];
            for (var i = 0; i < buckets.Length; i++) buckets[i] = Interlocked.Exchange(ref c.Buckets[i], 0);
            if (requests == 0)
            {
                // An app with no traffic for a whole interval is forgotten, so deleted apps do not pile up.
                _apps.TryRemove(KeyValuePair.Create(appId, c));
                continue;
            }
            result.Add(new AppRequestStats(appId, requests, errors, micros / 1000.0, buckets));
        }
        return result;
    }
}

/// <summary>
/// The router's request pipeline hook: after the request, counts it for its app (the route the gate matched). Requests
/// to no known app are not counted (they have no app to chart).
/// </summary>
internal sealed class AppStatsMiddleware(RequestDelegate next, AppStatsCollector stats, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = time.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            if (context.Features.Get<RoutedRequest>()?.Route is { } route)
                stats.Record(route.AppId, context.Response.StatusCode, time.GetElapsedTime(started));
        }
    }
}

/// <summary>Publishes <see cref="RouterAppStats"/> every Router:StatsSeconds (default 5) while there was traffic.</summary>
public sealed class AppStatsPublisher(
    AppStatsCollector stats, IBus bus, IOptions<RouterOptions> options, TimeProvider time, ILogger<AppStatsPublisher> logger) : BackgroundService
{
    /// <summary>Names this router in its reports.</summary>
    public string RouterId { get; } = $"{Environment.MachineName.ToLowerInvariant()}-{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(1, options.Value.StatsSeconds));
        using var timer = new PeriodicTimer(interval, time);
        var last = time.GetTimestamp();
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = time.GetTimestamp();
            var apps = stats.TakeSnapshot();
            var covered = time.GetElapsedTime(last, now);
            last = now;
            if (apps.Count == 0) continue;
            try
            {
                await bus.Publish(new RouterAppStats(RouterId, time.GetUtcNow(), covered, apps), stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Charts lose one interval; routing goes on.
                logger.LogWarning(e, "Publishing request stats failed");
            }
        }
    }
}
