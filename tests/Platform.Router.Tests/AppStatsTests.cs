using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Messages;

namespace Platform.Router.Tests;

/// <summary>The per-app request counts the router reports for the dashboard's charts (RouterAppStats).</summary>
public sealed class AppStatsTests(RouterFixture router) : IClassFixture<RouterFixture>
{
    [Fact]
    public async Task Requests_are_counted_per_app_with_5xx_and_latency_buckets()
    {
        var stats = router.Services.GetRequiredService<AppStatsCollector>();
        await using var backend = await TestBackend.StartAsync("stats");
        var (appId, _, host) = await router.AddAppAsync("stats");
        await router.AddInstanceAsync(appId, 0, backend.Address);
        var (idle, _, idleHost) = await router.AddAppAsync("idle");
        await router.ReloadAsync();
        stats.TakeSnapshot();

        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await router.GetAsync(host, "/")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await router.GetAsync(idleHost, "/")).StatusCode); // no instance: 503
        Assert.Equal(HttpStatusCode.NotFound, (await router.GetAsync("unknown.apps.localhost", "/")).StatusCode);

        var snapshot = stats.TakeSnapshot().ToDictionary(s => s.AppId);
        Assert.Equal(2, snapshot.Count); // the unknown host has no app to count for
        Assert.Equal((3L, 0L), (snapshot[appId].Requests, snapshot[appId].Errors5xx));
        Assert.Equal(3, snapshot[appId].LatencyBuckets.Sum());
        Assert.Equal(LatencyBuckets.Count, snapshot[appId].LatencyBuckets.Count);
        Assert.True(snapshot[appId].LatencySumMs > 0);
        Assert.Equal((1L, 1L), (snapshot[idle].Requests, snapshot[idle].Errors5xx));
        // Counters start again from zero; an app with no traffic for an interval is dropped.
        Assert.Empty(stats.TakeSnapshot());
    }

    [Fact]
    public void Percentiles_come_from_the_buckets()
    {
        long[] buckets = new long[LatencyBuckets.Count];
        buckets[LatencyBuckets.IndexOf(3)] = 90;   // <= 5 ms
        buckets[LatencyBuckets.IndexOf(400)] = 10; // <= 500 ms
        Assert.Equal(5, LatencyBuckets.Quantile(buckets, 0.5));
        Assert.Equal(500, LatencyBuckets.Quantile(buckets, 0.95));
        Assert.Null(LatencyBuckets.Quantile(new long[LatencyBuckets.Count], 0.95));
        Assert.Equal(LatencyBuckets.Count - 1, LatencyBuckets.IndexOf(60_000));
    }
}
