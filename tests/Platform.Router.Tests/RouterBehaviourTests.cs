using System.Net;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Bus;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Entities;
using Platform.TestSupport;

namespace Platform.Router.Tests;

/// <summary>Router behaviour that needs its own router settings: resync, debouncing, sticky sessions, the bus.</summary>
public sealed class RouterBehaviourTests(RouterFixture fixture) : IClassFixture<RouterFixture>
{
    private async Task<(IHost Host, HttpClient Client)> StartRouterAsync(Dictionary<string, string?> overrides)
    {
        var (host, client, _) = await fixture.StartRouterAsync(overrides);
        return (host, client);
    }

    private async Task<(Guid AppId, string Host)> AddAppAsync(string name)
    {
        var (appId, _, host) = await fixture.AddAppAsync(name);
        return (appId, host);
    }

    private Task<Guid> AddInstanceAsync(Guid appId, int index, string address) => fixture.AddInstanceAsync(appId, index, address);

    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string host, string? cookie = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Host = host;
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        return await client.SendAsync(request);
    }

    private static Task<HttpStatusCode> StatusAsync(HttpClient client, string host) =>
        Eventually.ReturnsAsync(async () => { using var r = await GetAsync(client, host); return r.StatusCode; },
            _ => true, "a response");

    [Fact]
    public async Task The_periodic_resync_picks_up_changes_nobody_announced()
    {
        var (_, client) = await StartRouterAsync(new() { ["Router:ResyncSeconds"] = "1" });
        await using var backend = await TestBackend.StartAsync("resync");
        var (appId, host) = await AddAppAsync("resync");
        await Eventually.ReturnsAsync(() => StatusAsync(client, host), s => s == HttpStatusCode.ServiceUnavailable, "the resync to load the route");

        await AddInstanceAsync(appId, 0, backend.Address); // no RequestReload, no message

        await Eventually.ReturnsAsync(() => StatusAsync(client, host), s => s == HttpStatusCode.OK, "the resync to route the instance");
    }

    [Fact]
    public async Task A_burst_of_reload_requests_collapses_into_at_most_two_reloads()
    {
        var (host, _) = await StartRouterAsync([]);
        var loader = host.Services.GetRequiredService<RouteTableLoader>();
        var before = loader.Generation;

        for (var i = 0; i < 1000; i++) loader.RequestReload();

        await Eventually.ReturnsAsync(() => Task.FromResult(loader.Generation), g => g > before, "a reload after the burst");
        // Give a (wrongly) undebounced loader time to show itself; this bounds nothing about speed.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.InRange(loader.Generation - before, 1, 2);
    }

    [Fact]
    public async Task Sticky_sessions_pin_a_client_to_one_instance()
    {
        var (router, client) = await StartRouterAsync(new() { ["Router:StickySessions"] = "true" });
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        var (appId, host) = await AddAppAsync("sticky");
        await AddInstanceAsync(appId, 0, a.Address);
        await AddInstanceAsync(appId, 1, b.Address);
        await router.Services.GetRequiredService<RouteTableLoader>().ReloadAsync(CancellationToken.None);

        using var first = await GetAsync(client, host);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var setCookie = Assert.Single(first.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".Platform.Affinity="));
        var cookie = setCookie.Split(';')[0];
        var pinned = await first.Content.ReadAsStringAsync();

        for (var i = 0; i < 10; i++)
        {
            using var response = await GetAsync(client, host, cookie);
            Assert.Equal(pinned, await response.Content.ReadAsStringAsync());
        }
        Assert.True(a.Hits == 11 || b.Hits == 11, $"hits a={a.Hits} b={b.Hits}");
    }

    [Fact]
    public async Task Every_router_reloads_on_InstanceStateChanged_over_RabbitMQ()
    {
        var routers = new List<(IHost Host, HttpClient Client)>();
        for (var i = 0; i < 2; i++) routers.Add(await StartRouterAsync([]));
        await using var backend = await TestBackend.StartAsync("bus");
        var (appId, host) = await AddAppAsync($"bus-{Guid.NewGuid():N}"[..12]);
        foreach (var (router, client) in routers)
        {
            await router.Services.GetRequiredService<RouteTableLoader>().ReloadAsync(CancellationToken.None);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(client, host));
        }
        var instance = await AddInstanceAsync(appId, 0, backend.Address);

        await routers[0].Host.Services.GetRequiredService<IPublishEndpoint>().Publish(new InstanceStateChanged(
            instance, appId, 0, "cell-test", InstanceState.Running, backend.Address, backend.Address, null, null, new ReportVersion(1, 1), DateTimeOffset.UtcNow));

        // Resync is an hour: only the event can make both routers see the instance.
        foreach (var (_, client) in routers)
            await Eventually.ReturnsAsync(() => StatusAsync(client, host), s => s == HttpStatusCode.OK, "each router to route the instance");
    }

    [Fact]
    public async Task Every_router_reloads_on_AppDesiredStateChanged_over_RabbitMQ()
    {
        var (router, client) = await StartRouterAsync([]);
        var name = $"routes-{Guid.NewGuid():N}"[..14];
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(client, $"{name}.apps.localhost"));

        var (appId, _, host) = await fixture.AddAppNamedAsync(name);
        await router.Services.GetRequiredService<IPublishEndpoint>().Publish(new AppDesiredStateChanged(appId, DateTimeOffset.UtcNow));

        await Eventually.ReturnsAsync(() => StatusAsync(client, host), s => s == HttpStatusCode.ServiceUnavailable, "the new route to be known");
    }
}
