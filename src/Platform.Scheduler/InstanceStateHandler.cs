using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Outbox;
using Platform.Data.Entities;

namespace Platform.Scheduler;

/// <summary>
/// Applies a cell's <see cref="InstanceStateChanged"/> to the instance row. Idempotent, and stale updates (for a row
/// that is gone or on another cell, or no newer than the cell's last report applied to the row, by the cell's own
/// <see cref="ReportVersion"/>) change nothing. Times written are the scheduler's own.
/// </summary>
public sealed class InstanceStateHandler(
    IDbContextFactory<PlatformDbContext> contexts,
    InstanceJournal journal,
    ConvergenceTrigger trigger,
    TimeProvider time,
    ILogger<InstanceStateHandler> logger)
{
    public async Task HandleAsync(InstanceStateChanged message, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await SchedulerLock.AcquireAsync(db, cancellationToken);

        var row = await db.Instances.FirstOrDefaultAsync(i => i.Id == message.InstanceId, cancellationToken);
        if (row is null || row.CellId != message.CellId || row.Reported >= message.Version)
        {
            logger.LogDebug("Ignoring stale state {State} of instance {Instance} (version {Version})", message.State, message.InstanceId, message.Version);
            return;
        }
        var now = time.GetUtcNow();
        row.Reported = message.Version;

        var transition = InstanceTransitions.Decide(row.State, message.State);
        var wasRunning = row.State == InstanceStates.Running;
        switch (transition)
        {
            case InstanceTransition.BecameRunning:
                row.State = InstanceStates.Running;
                row.Address = message.Address;
                row.HostAddress = message.HostAddress;
                row.Reason = null;
                row.UpdatedAt = now;
                break;
            case InstanceTransition.Crashed:
                journal.RecordCrash(db, row, InstanceTransitions.DescribeCrash(message.State, message.Reason, message.ExitCode), message.ExitCode, now);
                await InstanceJournal.CountDeploymentCrashAsync(db, row, cancellationToken);
                break;
            case InstanceTransition.Gone:
                db.Instances.Remove(row);
                break;
            default:
                // Nothing to change but the version seen, which keeps an older heartbeat from undoing this report.
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return;
        }
        // Routers reload from the database, so they must hear of a change only once it is committed:
        // the outbox publishes after the commit.
        if (wasRunning || transition == InstanceTransition.BecameRunning)
            db.AddToOutbox(new AppDesiredStateChanged(row.AppId, now));
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
