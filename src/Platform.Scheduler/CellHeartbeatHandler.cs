using MassTransit;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Data.Outbox;

namespace Platform.Scheduler;

/// <summary>
/// Keeps the cell row (capacity, last heartbeat) and reconciles the cell's instance rows with its full report
/// (<see cref="HeartbeatReconciler"/>). Idempotent: the same heartbeat twice, or an older one after a newer, changes
/// nothing (by the cell's <see cref="ReportVersion"/>).
/// </summary>
public sealed class CellHeartbeatHandler(
    IDbContextFactory<PlatformDbContext> contexts,
    HeartbeatReconciler reconciler,
    InstanceJournal journal,
    ConvergenceTrigger trigger,
    TimeProvider time)
{
    public async Task HandleAsync(CellHeartbeat heartbeat, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(heartbeat.CellId)) throw new ArgumentException("A heartbeat needs a cell id.", nameof(heartbeat));
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await SchedulerLock.AcquireAsync(db, cancellationToken);
        var now = time.GetUtcNow();

        var cell = await db.Cells.FirstOrDefaultAsync(c => c.Id == heartbeat.CellId, cancellationToken);
        var isNew = cell is null;
        if (cell is null)
        {
            cell = new CellEntity { Id = heartbeat.CellId, Host = heartbeat.Host };
            db.Cells.Add(cell);
        }
        // A heartbeat that a newer one overtook on the bus: its list is out of date.
        if (cell.Heartbeat >= heartbeat.Version) return;
        cell.Heartbeat = heartbeat.Version;
        cell.Host = heartbeat.Host;
        cell.Zone = heartbeat.Zone ?? "";
        var startsEvacuating = heartbeat.Evacuating && !cell.Evacuating;
        cell.Evacuating = heartbeat.Evacuating;
        cell.MemoryCapacityMb = heartbeat.MemoryCapacityMb;
        cell.DiskCapacityMb = heartbeat.DiskCapacityMb;
        cell.MaxInstances = heartbeat.MaxInstances;
        cell.ExecUrl = heartbeat.ExecUrl;
        // Our clock, not the cell's: liveness must not depend on the cells' clocks agreeing with ours.
        if (now > cell.LastHeartbeat) cell.LastHeartbeat = now;

        var reportedIds = heartbeat.Instances.Select(i => i.InstanceId).ToList();
        var known = await db.Instances
            .Where(i => i.CellId == heartbeat.CellId || reportedIds.Contains(i.Id))
            .ToListAsync(cancellationToken);
        var plan = reconciler.Reconcile(heartbeat, known, now);

        foreach (var (row, report) in plan.BecameRunning)
        {
            row.State = InstanceStates.Running;
            row.Address = report.Address;
            row.HostAddress = report.HostAddress;
            row.Reason = null;
            row.UpdatedAt = now;
        }
        foreach (var (row, version) in plan.Seen) row.Reported = version;
        foreach (var (row, reason, exitCode) in plan.Crashed)
        {
            journal.RecordCrash(db, row, reason, exitCode, now);
            await InstanceJournal.CountDeploymentCrashAsync(db, row, cancellationToken);
        }
        foreach (var row in plan.Deletes) db.Instances.Remove(row);
        foreach (var row in plan.StopResent) row.UpdatedAt = now;
        foreach (var stop in plan.Stops) db.AddToOutbox(stop, Queues.Cell(heartbeat.CellId));
        InstanceMetricsRecorder.Apply(heartbeat, known, plan, now);
        // Routers reload from the database after the commit (the outbox publishes then).
        foreach (var appId in plan.BecameRunning.Select(r => r.Item1.AppId)
                     .Concat(plan.Crashed.Select(c => c.Item1.AppId)).Distinct())
            db.AddToOutbox(new AppDesiredStateChanged(appId, now));

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (isNew || startsEvacuating || plan.Crashed.Count > 0 || plan.Deletes.Count > 0 || plan.BecameRunning.Count > 0) trigger.Poke();
    }
}

public sealed class CellHeartbeatConsumer(CellHeartbeatHandler handler) : IConsumer<CellHeartbeat>
{
    public Task Consume(ConsumeContext<CellHeartbeat> context) => handler.HandleAsync(context.Message, context.CancellationToken);
}
