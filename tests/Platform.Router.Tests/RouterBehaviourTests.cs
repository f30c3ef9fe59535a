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
public sealed class RouterBehaviourTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private readonly List<IHost> _hosts = [];

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        await using var db = NewContext();
        await db.Database.MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }
        await _database.DisposeAsync();
    }

    private PlatformDbContext NewContext() =>
        new(new DbContextOptionsBuilder<PlatformDbContext>().UseNpgsql(_database.ConnectionString).Options);

    private async Task<(IHost Host, HttpClient Client)> StartRouterAsync(
        Dictionary<string, string?> overrides, Action<HostApplicationBuilder>? configure = null)
    {
        var settings = RouterFixture.DefaultSettings;
        foreach (var (k, v) in overrides) settings[k] = v;
        var (host, client, _) = await RouterFixture.StartRouterAsync(_database.ConnectionString, settings, configure);
        _hosts.Add(host);
        return (host, client);
    }

    private async Task<(Guid AppId, string Host)> AddAppAsync(string name)
    {
        var appId = Guid.NewGuid();
        var host = $"{name}.apps.localhost";
        await using var db = NewContext();
        db.Apps.Add(new AppEntity { Id = appId, Name = name, CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow });
        db.Routes.Add(new RouteEntity { Id = Guid.NewGuid(), AppId = appId, Host = host, CreatedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();
        return (appId, host);
    }

    private async Task<Guid> AddInstanceAsync(Guid appId, int index, string address)
    {
        var id = Guid.NewGuid();
        await using var db = NewContext();
        db.Instances.Add(new InstanceEntity
        {
            Id = id, AppId = appId, Index = index, CellId = "cell-test", State = InstanceStates.Running,
            Address = address, CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
        return id;
    }

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
        var (host, _) = await StartRouterAsync(new());
        var loader = host.Services.GetRequiredService<RouteTableLoader>();
        var before = loader.Generation;

        for (var i = 0; i < 1000; i++) loader.RequestReload();

        await Eventually.ReturnsAsync(() => Task.FromResult(loader.Generation), g => g > before, "a reload after the burst");
        // Give a (wrongly) undebounced loader time to show itself; this bounds nothing about speed.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.InRange(loader.Generation - before, 1, 2);
    }

    [Fact]
    public async Task Sticky_sessions_pin_a_client_to_one_instance_with_the_Cookie_policy()
    {
        var (_, client) = await StartRouterAsync(new() { ["Router:StickySessions"] = "true" });
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        var (appId, host) = await AddAppAsync("sticky");
        await AddInstanceAsync(appId, 0, a.Address);
        await AddInstanceAsync(appId, 1, b.Address);
        await _hosts[^1].Services.GetRequiredService<RouteTableLoader>().ReloadAsync(CancellationToken.None);

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
        var rabbit = TestEnvironment.RabbitMq;
        var bus = new Dictionary<string, string?> { ["Bus:Transport"] = "RabbitMq", ["Bus:RabbitMq:Url"] = rabbit };
        var routers = new List<(IHost Host, HttpClient Client)>();
        foreach (var name in new[] { "one", "two" })
        {
            var instanceId = $"router-test-{name}-{Guid.NewGuid():N}";
            routers.Add(await StartRouterAsync(bus, b => b.Services.AddPlatformBus(b.Configuration, x => x.AddRouterConsumers(instanceId))));
        }
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
    public async Task Every_router_reloads_on_AppRoutesChanged_over_RabbitMQ()
    {
        var bus = new Dictionary<string, string?> { ["Bus:Transport"] = "RabbitMq", ["Bus:RabbitMq:Url"] = TestEnvironment.RabbitMq };
        var instanceId = $"router-test-routes-{Guid.NewGuid():N}";
        var (router, client) = await StartRouterAsync(bus, b => b.Services.AddPlatformBus(b.Configuration, x => x.AddRouterConsumers(instanceId)));
        var name = $"routes-{Guid.NewGuid():N}"[..14];
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(client, $"{name}.apps.localhost"));

        var (appId, host) = await AddAppAsync(name);
        await router.Services.GetRequiredService<IPublishEndpoint>().Publish(new AppRoutesChanged(appId, DateTimeOffset.UtcNow));

        await Eventually.ReturnsAsync(() => StatusAsync(client, host), s => s == HttpStatusCode.ServiceUnavailable, "the new route to be known");
    }
}
