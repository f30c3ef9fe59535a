using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Contracts.Messages;
using Platform.Data.Outbox;
using Platform.TestSupport;

namespace Platform.Data.Tests;

/// <summary>
/// Stands in for the bus where the test must see every hand-over exactly (counts, order, failures): a real
/// bus cannot tell a double send from its own redelivery. Delivery over the real buses is in OutboxDeliveryTests.
/// </summary>
internal sealed class RecordingMessageDispatcher(Func<object, int, Task>? behaviour = null) : IMessageDispatcher
{
    private int _calls;
    public ConcurrentQueue<(object Message, string? Queue)> Dispatched { get; } = new();

    public async Task DispatchAsync(object message, string? queue, CancellationToken cancellationToken)
    {
        var call = Interlocked.Increment(ref _calls);
        if (behaviour is not null) await behaviour(message, call);
        Dispatched.Enqueue((message, queue));
    }
}

public sealed class OutboxDispatcherTests : IAsyncLifetime
{
    private readonly MigratedDatabase _database = new();
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _services = DataServices.Build(_database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _database.DisposeAsync();
    }

    private IDbContextFactory<PlatformDbContext> Contexts => _services.GetRequiredService<IDbContextFactory<PlatformDbContext>>();

    private OutboxDispatcher NewDispatcher(IMessageDispatcher bus, TimeProvider? time = null, int batchSize = 100) =>
        new(Contexts, bus, new OutboxSignal(),
            Options.Create(new OutboxOptions { BatchSize = batchSize, FirstRetryDelay = TimeSpan.FromSeconds(1), MaxRetryDelay = TimeSpan.FromSeconds(4) }),
            time ?? TimeProvider.System, NullLogger<OutboxDispatcher>.Instance);

    private async Task<List<Guid>> WriteEventsAsync(int count)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToList();
        await using var db = await Contexts.CreateDbContextAsync();
        foreach (var id in ids) db.AddToOutbox(new AppDesiredStateChanged(id, DateTimeOffset.UtcNow));
        await db.SaveChangesAsync();
        return ids;
    }

    [Fact]
    public async Task Two_dispatchers_never_send_the_same_message_twice()
    {
        var ids = await WriteEventsAsync(300);
        // Slow hand-overs keep each batch's rows locked while the other dispatcher looks for work.
        var bus = new RecordingMessageDispatcher((_, _) => Task.Delay(2));
        var first = NewDispatcher(bus, batchSize: 20);
        var second = NewDispatcher(bus, batchSize: 20);

        async Task DrainAsync(OutboxDispatcher d)
        {
            while ((await d.DispatchBatchAsync(CancellationToken.None)).Dispatched > 0) { }
        }
        await Task.WhenAll(Task.Run(() => DrainAsync(first)), Task.Run(() => DrainAsync(second)));

        var sent = bus.Dispatched.Select(d => ((AppDesiredStateChanged)d.Message).AppId).ToList();
        Assert.Equal(ids.Count, sent.Count);
        Assert.Equal(ids.ToHashSet(), sent.ToHashSet());
        await using var db = await Contexts.CreateDbContextAsync();
        Assert.Equal(0, await db.OutboxMessages.CountAsync());
    }

    [Fact]
    public async Task Messages_go_out_in_the_order_they_were_written_with_their_queue()
    {
        var ids = await WriteEventsAsync(5);
        await using (var db = await Contexts.CreateDbContextAsync())
        {
            db.AddToOutbox(new StopInstance(ids[0], "c1", "scaled down"), Queues.Cell("c1"));
            await db.SaveChangesAsync();
        }
        var bus = new RecordingMessageDispatcher();

        await NewDispatcher(bus).DispatchBatchAsync(CancellationToken.None);

        var dispatched = bus.Dispatched.ToList();
        Assert.Equal(ids, dispatched.Take(5).Select(d => ((AppDesiredStateChanged)d.Message).AppId));
        Assert.All(dispatched.Take(5), d => Assert.Null(d.Queue));
        var stop = Assert.IsType<StopInstance>(dispatched[5].Message);
        Assert.Equal("cell-c1", dispatched[5].Queue);
        Assert.Equal("scaled down", stop.Reason);
    }

    [Fact]
    public async Task A_failed_hand_over_is_kept_and_retried_with_a_doubling_back_off()
    {
        var id = (await WriteEventsAsync(1))[0];
        var time = new ManualTimeProvider(); // a whole second: Postgres keeps microseconds, not ticks
        var bus = new RecordingMessageDispatcher((_, call) =>
            call <= 2 ? Task.FromException(new InvalidOperationException($"broker down ({call})")) : Task.CompletedTask);
        var dispatcher = NewDispatcher(bus, time);

        var result = await dispatcher.DispatchBatchAsync(CancellationToken.None);
        Assert.True(result.Failed);
        var row = await SingleRowAsync();
        Assert.Equal(1, row.Attempts);
        Assert.Equal("broker down (1)", row.LastError);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(1), row.NextAttemptAt);

        // Not due yet: nothing is tried.
        Assert.Equal(BatchResultOf(0, false), await dispatcher.DispatchBatchAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await dispatcher.DispatchBatchAsync(CancellationToken.None)).Failed);
        row = await SingleRowAsync();
        Assert.Equal(2, row.Attempts);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(2), row.NextAttemptAt);

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(BatchResultOf(1, false), await dispatcher.DispatchBatchAsync(CancellationToken.None));
        Assert.Equal(id, ((AppDesiredStateChanged)Assert.Single(bus.Dispatched).Message).AppId);
        await using var db = await Contexts.CreateDbContextAsync();
        Assert.Equal(0, await db.OutboxMessages.CountAsync());
    }

    [Fact]
    public async Task A_message_of_an_unknown_type_is_kept_with_its_error_and_does_not_block_the_rest()
    {
        await using (var db = await Contexts.CreateDbContextAsync())
        {
            db.OutboxMessages.Add(new OutboxMessage { MessageType = "Platform.Contracts.Messages.NoSuchMessage", Body = "{}", CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
        var ids = await WriteEventsAsync(2);
        var bus = new RecordingMessageDispatcher();
        var dispatcher = NewDispatcher(bus);

        Assert.True((await dispatcher.DispatchBatchAsync(CancellationToken.None)).Failed);
        Assert.Equal(BatchResultOf(2, false), await dispatcher.DispatchBatchAsync(CancellationToken.None));

        Assert.Equal(ids, bus.Dispatched.Select(d => ((AppDesiredStateChanged)d.Message).AppId));
        var kept = await SingleRowAsync();
        Assert.Contains("NoSuchMessage", kept.LastError);
        Assert.Equal(1, kept.Attempts);
    }

    [Fact]
    public async Task Saving_outbox_messages_wakes_the_dispatcher_and_other_saves_do_not()
    {
        var signal = _services.GetRequiredService<OutboxSignal>();
        await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None); // clear what earlier saves left

        await using (var db = await Contexts.CreateDbContextAsync())
        {
            db.Cells.Add(new Entities.CellEntity { Id = "c-" + Guid.NewGuid().ToString("N")[..8], Host = "h" });
            await db.SaveChangesAsync();
        }
        Assert.False(await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));

        await WriteEventsAsync(1);
        Assert.True(await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));
    }

    [Fact]
    public void Only_contract_messages_and_real_queue_names_are_accepted()
    {
        using var db = Contexts.CreateDbContext();
        var wrongType = Assert.Throws<ArgumentException>(() => db.AddToOutbox(new { Hello = "world" }));
        Assert.Contains("not a Platform.Contracts message type", wrongType.Message);
        Assert.Throws<ArgumentException>(() => db.AddToOutbox(new AppDesiredStateChanged(Guid.NewGuid(), DateTimeOffset.UtcNow), " "));
        Assert.Throws<ArgumentNullException>(() => db.AddToOutbox(null!));
    }

    private static OutboxDispatcher.BatchResult BatchResultOf(int dispatched, bool failed) => new(dispatched, failed);

    private async Task<OutboxMessage> SingleRowAsync()
    {
        await using var db = await Contexts.CreateDbContextAsync();
        return await db.OutboxMessages.SingleAsync();
    }
}
