using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Messages;
using Platform.Data.Entities;
using Platform.Data.Outbox;

namespace Platform.Data.Tests;

/// <summary>The outbox end to end: a message written with a database change reaches a consumer over a real bus.</summary>
public sealed class OutboxDeliveryTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    private static Action<IBusRegistrationConfigurator> RecordEvents(string endpoint) =>
        x => x.AddConsumer<RecordingConsumer<AppDesiredStateChanged>>().Endpoint(e =>
        {
            // Other tests share the broker: a queue of our own, gone when the host stops.
            e.Name = endpoint;
            e.Temporary = true;
        });

    private async Task<Guid> SaveAppWithEventAsync(IServiceProvider services)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var app = NewApp();
        db.Apps.Add(app);
        db.AddToOutbox(new AppDesiredStateChanged(app.Id, DateTimeOffset.UtcNow));
        await db.SaveChangesAsync();
        return app.Id;
    }

    private static AppEntity NewApp() => new()
    {
        Id = Guid.NewGuid(),
        Name = UniqueName("app"),
        CreatedAt = DateTimeOffset.UtcNow,
        UpdatedAt = DateTimeOffset.UtcNow,
    };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_published_event_saved_with_an_entity_reaches_a_consumer(bool rabbitMq)
    {
        await using var host = await BusTestHost.StartAsync(database.ConnectionString, rabbitMq, dispatcher: true, RecordEvents(UniqueName("test-events")));

        var appId = await SaveAppWithEventAsync(host.Services);

        var received = await host.Recorder.WaitForAsync<AppDesiredStateChanged>(m => m.AppId == appId);
        Assert.Equal(appId, received.AppId);
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.True(await db.Apps.AnyAsync(a => a.Id == appId));
        Assert.False(await db.OutboxMessages.AnyAsync(m => m.Body.Contains(appId.ToString())));
    }

    [Fact]
    public async Task A_command_sent_to_a_queue_reaches_the_consumer_bound_to_that_queue_over_RabbitMQ()
    {
        var cellId = UniqueName("test");
        // Command queues are durable, as a cell's must be (a sender declares it durable too), so the test
        // deletes its queue itself afterwards.
        await using var cleanup = new RabbitMqCleanup(Queues.Cell(cellId));
        await using var host = await BusTestHost.StartAsync(database.ConnectionString, rabbitMq: true, dispatcher: true,
            x => x.AddConsumer<RecordingConsumer<StopInstance>>().Endpoint(e => e.Name = Queues.Cell(cellId)));
        var instanceId = Guid.NewGuid();

        await using (var db = await host.Services.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync())
        {
            db.AddToOutbox(new StopInstance(instanceId, cellId, "test"), Queues.Cell(cellId));
            await db.SaveChangesAsync();
        }

        var received = await host.Recorder.WaitForAsync<StopInstance>(m => m.InstanceId == instanceId);
        Assert.Equal(cellId, received.CellId);
        Assert.Equal("test", received.Reason);
    }

    [Fact]
    public async Task A_message_whose_transaction_rolls_back_is_never_sent()
    {
        await using var host = await BusTestHost.StartAsync(database.ConnectionString, rabbitMq: true, dispatcher: true, RecordEvents(UniqueName("test-rollback")));
        var factory = host.Services.GetRequiredService<IDbContextFactory<PlatformDbContext>>();
        var rolledBack = NewApp();

        await using (var db = await factory.CreateDbContextAsync())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.Apps.Add(rolledBack);
            db.AddToOutbox(new AppDesiredStateChanged(rolledBack.Id, DateTimeOffset.UtcNow));
            await db.SaveChangesAsync();
            await transaction.RollbackAsync();
        }
        // A later message goes out of the same outbox; once it has arrived, the earlier one had its chance.
        var marker = await SaveAppWithEventAsync(host.Services);
        await host.Recorder.WaitForAsync<AppDesiredStateChanged>(m => m.AppId == marker);

        Assert.DoesNotContain(host.Recorder.All<AppDesiredStateChanged>(), m => m.AppId == rolledBack.Id);
        await using var check = await factory.CreateDbContextAsync();
        Assert.False(await check.Apps.AnyAsync(a => a.Id == rolledBack.Id));
    }

    [Fact]
    public async Task A_message_committed_while_no_dispatcher_runs_is_delivered_by_the_next_one()
    {
        var endpoint = UniqueName("test-crash");
        Guid appId;
        // The process that committed "crashes" before dispatching: it never had a dispatcher running.
        await using (var crashed = await BusTestHost.StartAsync(database.ConnectionString, rabbitMq: true, dispatcher: false, _ => { }))
        {
            appId = await SaveAppWithEventAsync(crashed.Services);
            await using var db = await crashed.Services.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
            Assert.True(await db.OutboxMessages.AnyAsync(m => m.Body.Contains(appId.ToString())));
        }

        await using var restarted = await BusTestHost.StartAsync(database.ConnectionString, rabbitMq: true, dispatcher: true, RecordEvents(endpoint));
        await restarted.Recorder.WaitForAsync<AppDesiredStateChanged>(m => m.AppId == appId);
    }
}
