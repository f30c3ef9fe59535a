using System.Net;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Bus;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Entities;
using Platform.TestSupport;

namespace Platform.Router.Tests;

/// <summary>
/// A router as the internet edge: `platd --roles router` in a process of its own with no connection string, loading
/// its table from a real `platd --roles api` and following the bus (RabbitMQ), and serving its last good table while
/// the API is down.
/// </summary>
public sealed class StandaloneRouterTests
{
    [Fact]
    public async Task A_router_without_a_database_serves_the_APIs_routes_follows_the_bus_and_outlives_the_API()
    {
        await using var rabbit = await TestRabbitMq.CreateAsync();
        await using var api = await PlatdProcess.StartAsync(new PlatdOptions { Roles = "api", SubnetOctet = 231, RabbitMqUrl = rabbit.Url });
        await using var router = await PlatdProcess.StartAsync(new PlatdOptions
        {
            Roles = "router",
            SubnetOctet = 230,
            RabbitMqUrl = rabbit.Url,
            Api = api,
            Settings = new Dictionary<string, string> { ["Router:ResyncSeconds"] = "1" },
        });
        Assert.Null(router.Database); // no connection string was given to it
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var bus = await TestBus.StartAsync(rabbit.Url);
        var options = new DbContextOptionsBuilder<PlatformDbContext>().UseNpgsql(api.Database!.ConnectionString).Options;

        // The snapshot: an app with one RUNNING instance (a) and one the database still calls STARTING (b).
        var appId = Guid.NewGuid();
        var host = "edge.apps.localhost";
        var instanceB = Guid.NewGuid();
        await using (var db = new PlatformDbContext(options))
        {
            var now = DateTimeOffset.UtcNow;
            db.Apps.Add(new AppEntity { Id = appId, Name = "edge", State = AppStates.Started, CreatedAt = now, UpdatedAt = now });
            db.Routes.Add(new RouteEntity { Id = Guid.NewGuid(), AppId = appId, Host = host, CreatedAt = now });
            db.Instances.Add(Instance(appId, Guid.NewGuid(), 0, InstanceStates.Running, a.Address, now));
            db.Instances.Add(Instance(appId, instanceB, 1, InstanceStates.Starting, null, now));
            await db.SaveChangesAsync();
        }
        using var http = new HttpClient { BaseAddress = new Uri(router.RouterUrl), Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.ReturnsAsync(() => BodyAsync(http, host), body => body == a.Body, "the router to load the route from the API");

        // b's cell reports it RUNNING on the bus: the router sends it traffic though the database never says so.
        await bus.Publish(new InstanceStateChanged(instanceB, appId, 1, "cell-edge", InstanceState.Running, b.Address, b.Address,
            null, null, new ReportVersion(1, 2), DateTimeOffset.UtcNow));
        await Eventually.ReturnsAsync(() => BodyAsync(http, host), body => body == b.Body, "the router to route b from the bus");

        // The API goes away: the router keeps its table, and still follows the bus.
        await api.KillAsync();
        await bus.Publish(new InstanceStateChanged(instanceB, appId, 1, "cell-edge", InstanceState.Stopped, null, null,
            "stopped", 0, new ReportVersion(1, 3), DateTimeOffset.UtcNow));
        await Eventually.ReturnsAsync(async () =>
        {
            // Round robin over two would alternate: only a, five times over, means b left the rotation.
            var bodies = new List<string>();
            for (var i = 0; i < 5; i++) bodies.Add(await BodyAsync(http, host));
            return bodies;
        }, bodies => bodies.All(body => body == a.Body), "b to leave the rotation while the API is down");
        for (var i = 0; i < 5; i++)
            Assert.Equal(a.Body, await BodyAsync(http, host));
    }

    private static InstanceEntity Instance(Guid appId, Guid id, int index, string state, string? address, DateTimeOffset now) => new()
    {
        Id = id, AppId = appId, Index = index, CellId = "cell-edge", DropletId = Guid.NewGuid(), MemoryMb = 64, DiskMb = 64,
        State = state, Address = address, HostAddress = address, CreatedAt = now, UpdatedAt = now,
        ReportEpoch = 1, ReportSequence = 1,
    };

    private static async Task<string> BodyAsync(HttpClient http, string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Host = host;
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return response.StatusCode == HttpStatusCode.OK ? body : $"{(int)response.StatusCode} {body}";
    }

    /// <summary>A bus client of the test's own on the RabbitMQ virtual host, publishing what a cell would.</summary>
    private sealed class TestBus : IAsyncDisposable
    {
        private readonly IHost _host;

        private TestBus(IHost host) => _host = host;

        public static async Task<TestBus> StartAsync(string rabbitMqUrl)
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Bus:Transport"] = "RabbitMq",
                ["Bus:RabbitMq:Url"] = rabbitMqUrl,
            });
            builder.Services.AddPlatformBus(builder.Configuration);
            var host = builder.Build();
            await host.StartAsync();
            return new TestBus(host);
        }

        public Task Publish<T>(T message) where T : class => _host.Services.GetRequiredService<IBus>().Publish(message);

        public async ValueTask DisposeAsync()
        {
            await _host.StopAsync();
            _host.Dispose();
        }
    }
}
