using System.Collections.Concurrent;
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

namespace Platform.Scheduler.Tests;

/// <summary>A cell that starts whatever it is told to at once and says so on the bus.</summary>
public sealed class FakeCellConsumer(ConcurrentQueue<StartInstance> received) : IConsumer<StartInstance>
{
    public async Task Consume(ConsumeContext<StartInstance> context)
    {
        var m = context.Message;
        received.Enqueue(m);
        await context.Publish(new InstanceStateChanged(m.InstanceId, m.AppId, m.Index, m.CellId, InstanceState.Running,
            $"10.0.0.{m.Index + 2}:8080", null, null, null, new ReportVersion(1, 2), DateTimeOffset.UtcNow));
    }
}

/// <summary>
/// The scheduler role wired as platd wires it (bus consumers, convergence loop, outbox dispatcher) on the
/// in-memory transport, with a fake cell on its queue. (Not on the shared RabbitMQ: the scheduler's queue
/// names are fixed, and a test consumer there would take other processes' messages.)
/// </summary>
public sealed class SchedulerOverBusTests
{
    [Fact]
    public async Task A_heartbeating_cell_gets_the_apps_instances_and_their_running_state_is_recorded()
    {
        await using var database = await TestDatabase.CreateAsync();
        var received = new ConcurrentQueue<StartInstance>();
        using var host = await BuildHostAsync(database, received, convergeIntervalSeconds: "0.2");
        var contexts = host.Services.GetRequiredService<IDbContextFactory<PlatformDbContext>>();
        await using (var db = await contexts.CreateDbContextAsync())
        {
            var droplet = new DropletEntity { Id = Guid.NewGuid(), StartCommand = "./run", Layers = [new LayerRef("sha256:" + new string('c', 64), 1, "app")] };
            db.Droplets.Add(droplet);
            db.Apps.Add(new AppEntity { Id = Guid.NewGuid(), Name = "web", State = AppStates.Started, Instances = 3, CurrentDropletId = droplet.Id });
            await db.SaveChangesAsync();
        }
        await host.StartAsync();
        try
        {
            await host.Services.GetRequiredService<IBus>().Publish(
                new CellHeartbeat("cell-a", "cell-a.local", 4096, 0, 10, [], new ReportVersion(1, 1), DateTimeOffset.UtcNow));

            var deadline = DateTime.UtcNow.AddSeconds(60);
            List<InstanceEntity> instances = [];
            while (DateTime.UtcNow < deadline)
            {
                await using var db = await contexts.CreateDbContextAsync();
                instances = await db.Instances.ToListAsync();
                if (instances.Count == 3 && instances.All(i => i.State == InstanceStates.Running)) break;
                await Task.Delay(100);
            }
            Assert.Equal(3, instances.Count);
            Assert.All(instances, i => Assert.Equal((InstanceStates.Running, "cell-a"), (i.State, i.CellId)));
            Assert.Equal([0, 1, 2], received.Select(s => s.Index).Order());
            Assert.Equal(instances.Select(i => i.Id).Order(), received.Select(s => s.InstanceId).Order());
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_started_app_is_placed_as_soon_as_the_api_says_it_changed_not_at_the_next_tick()
    {
        await using var database = await TestDatabase.CreateAsync();
        var received = new ConcurrentQueue<StartInstance>();
        // A tick an hour away: only the change event can make the scheduler place the instance in time.
        using var host = await BuildHostAsync(database, received, convergeIntervalSeconds: "3600");
        var contexts = host.Services.GetRequiredService<IDbContextFactory<PlatformDbContext>>();
        await host.StartAsync();
        try
        {
            var bus = host.Services.GetRequiredService<IBus>();
            await bus.Publish(new CellHeartbeat("cell-a", "cell-a.local", 4096, 0, 10, [], new ReportVersion(1, 1), DateTimeOffset.UtcNow));
            await WaitUntilAsync(async () => { await using var db = await contexts.CreateDbContextAsync(); return await db.Cells.AnyAsync(); });
            await Task.Delay(500); // let the pass the new cell caused finish, with nothing to place yet

            var appId = Guid.NewGuid();
            await using (var db = await contexts.CreateDbContextAsync())
            {
                var droplet = new DropletEntity { Id = Guid.NewGuid(), StartCommand = "./run", Layers = [new LayerRef("sha256:" + new string('d', 64), 1, "app")] };
                db.Droplets.Add(droplet);
                db.Apps.Add(new AppEntity { Id = appId, Name = "late", State = AppStates.Started, Instances = 1, CurrentDropletId = droplet.Id });
                await db.SaveChangesAsync();
            }
            await bus.Publish(new AppDesiredStateChanged(appId, DateTimeOffset.UtcNow));

            await WaitUntilAsync(() => Task.FromResult(received.Any(s => s.AppId == appId)));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        Assert.Fail("timed out after 30 s");
    }

    private static async Task<IHost> BuildHostAsync(TestDatabase database, ConcurrentQueue<StartInstance> received, string convergeIntervalSeconds)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = database.ConnectionString,
            ["Bus:Transport"] = "InMemory",
            ["Scheduler:ConvergeIntervalSeconds"] = convergeIntervalSeconds,
        });
        builder.Services.AddLogging();
        builder.Services.AddSingleton(received);
        builder.Services.AddPlatformData(builder.Configuration);
        builder.Services.AddPlatformScheduler(builder.Configuration);
        builder.Services.AddPlatformBus(builder.Configuration,
            x => x.AddSchedulerConsumers(),
            x => x.AddConsumer<FakeCellConsumer>().Endpoint(e => e.Name = Queues.Cell("cell-a")));
        var host = builder.Build();
        await host.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        return host;
    }
}
