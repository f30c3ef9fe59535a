using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Outbox;
using Platform.Data.Entities;

namespace Platform.Scheduler;

/// <summary>
/// Applies a cell's <see cref="InstanceStateChanged"/> to the instance row. Idempotent, and stale updates
/// (for a row that is gone, or older than the row's last change) change nothing.
/// </summary>
public sealed class InstanceStateHandler(
    IDbContextFactory<PlatformDbContext> contexts,
    InstanceJournal journal,
    ConvergenceTrigger trigger,
    ILogger<InstanceStateHandler> logger)
{
    public async Task HandleAsync(InstanceStateChanged message, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await SchedulerLock.AcquireAsync(db, cancellationToken);

        var row = await db.Instances.FirstOrDefaultAsync(i => i.Id == message.InstanceId, cancellationToken);
        var at = message.Timestamp.ToUniversalTime();
        if (row is null || at < row.UpdatedAt)
        {
            logger.LogDebug("Ignoring stale state {State} of instance {Instance}", message.State, message.InstanceId);
            return;
        }

        var transition = InstanceTransitions.Decide(row.State, message.State);
        var wasRunning = row.State == InstanceStates.Running;
        switch (transition)
        {
            case InstanceTransition.BecameRunning:
                row.State = InstanceStates.Running;
                row.Address = message.Address;
                row.HostAddress = message.HostAddress;
                row.Reason = null;
                row.UpdatedAt = at;
                break;
            case InstanceTransition.Crashed:
                journal.RecordCrash(db, row, InstanceTransitions.DescribeCrash(message.State, message.Reason, message.ExitCode), message.ExitCode, at);
                break;
            case InstanceTransition.Gone:
                db.Instances.Remove(row);
                break;
            default:
                return;
        }
        // Routers reload from the database, so they must hear of a change only once it is committed:
        // the outbox publishes after the commit.
        if (wasRunning || transition == InstanceTransition.BecameRunning)
            db.AddToOutbox(new AppRoutesChanged(row.AppId, at));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        // Every change matters to convergence: a crash needs a replacement, a RUNNING replacement lets an
        // outdated instance go, a finished stop frees room.
        trigger.Poke();
    }
}

public sealed class InstanceStateChangedConsumer(InstanceStateHandler handler) : IConsumer<InstanceStateChanged>
{
    public Task Consume(ConsumeContext<InstanceStateChanged> context) => handler.HandleAsync(context.Message, context.CancellationToken);
}
