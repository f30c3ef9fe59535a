using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Platform.Contracts;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Data.Outbox;

namespace Platform.Scheduler;

/// <summary>
/// One convergence pass: reads desired and actual state under the scheduler lock, asks the
/// <see cref="ConvergencePlanner"/> what to do, and writes the new rows and their StartInstance/StopInstance
/// commands (through the outbox) in one transaction.
/// </summary>
public sealed class Converger(
    IDbContextFactory<PlatformDbContext> contexts,
    ConvergencePlanner planner,
    InstanceJournal journal,
    TimeProvider time,
    ILogger<Converger> logger)
{
    // Indices already reported as unplaceable, so the user hears it once, not every pass. Per process:
    // a restarted scheduler says it once more.
    private readonly HashSet<(Guid AppId, int Index)> _reportedUnplaced = [];
    private readonly Lock _gate = new();

    public async Task<ConvergencePlan> ConvergeOnceAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await SchedulerLock.AcquireAsync(db, cancellationToken);

        var now = time.GetUtcNow();
        var apps = await db.Apps.ToListAsync(cancellationToken);
        var instances = await db.Instances.ToListAsync(cancellationToken);
        var cells = await db.Cells.ToListAsync(cancellationToken);
        var plan = planner.Plan(apps, instances, cells, now);

        await ApplyStartsAsync(db, plan.Starts, now, cancellationToken);
        foreach (var stop in plan.Stops)
        {
            // Drain: routers drop a RUNNING instance (they route RUNNING rows only) before its cell stops it.
            if (stop.Instance.State == InstanceStates.Running)
                db.AddToOutbox(new AppRoutesChanged(stop.Instance.AppId, now));
            stop.Instance.State = InstanceStates.Stopping;
            stop.Instance.Reason = stop.Reason;
            stop.Instance.UpdatedAt = now;
            db.AddToOutbox(new StopInstance(stop.Instance.Id, stop.Instance.CellId, stop.Reason), Queues.Cell(stop.Instance.CellId));
        }
        foreach (var delete in plan.Deletes) db.Instances.Remove(delete.Instance);
        foreach (var lost in plan.Lost)
        {
            db.AddToOutbox(new AppRoutesChanged(lost.Instance.AppId, now));
            db.Instances.Remove(lost.Instance);
            journal.AddLogLine(db, lost.Instance.AppId, lost.Instance.Index, "ERR",
                $"Instance {lost.Instance.Index} lost ({lost.Reason}); rescheduling", now);
        }
        ReportUnplaced(db, plan.Unplaced, now);

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        if (!plan.IsEmpty)
            logger.LogInformation("Convergence: {Starts} start(s), {Stops} stop(s), {Deletes} removed, {Lost} rescheduled off lost cells, {Unplaced} unplaced",
                plan.Starts.Count, plan.Stops.Count, plan.Deletes.Count, plan.Lost.Count, plan.Unplaced.Count);
        return plan;
    }

    private async Task ApplyStartsAsync(PlatformDbContext db, List<PlannedStart> starts, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (starts.Count == 0) return;
        var dropletIds = starts.Select(s => s.App.CurrentDropletId!.Value).Distinct().ToList();
        var droplets = await db.Droplets.Where(d => dropletIds.Contains(d.Id)).ToDictionaryAsync(d => d.Id, cancellationToken);
        var spaceIds = starts.Select(s => s.App.SpaceId).Distinct().ToList();
        var spaces = await (
            from s in db.Spaces
            join o in db.Orgs on s.OrgId equals o.Id
            where spaceIds.Contains(s.Id)
            select new InstanceSpace(s.Id, s.Name, o.Id, o.Name)).ToDictionaryAsync(s => s.SpaceId, cancellationToken);
        foreach (var start in starts)
        {
            var app = start.App;
            if (!droplets.TryGetValue(app.CurrentDropletId!.Value, out var droplet))
            {
                logger.LogError("App {App} points at droplet {Droplet}, which does not exist; not starting it", app.Name, app.CurrentDropletId);
                continue;
            }
            var instance = new InstanceEntity
            {
                Id = Guid.NewGuid(),
                AppId = app.Id,
                SpaceId = app.SpaceId,
                Index = start.Index,
                CellId = start.CellId,
                DropletId = droplet.Id,
                MemoryMb = app.MemoryMb,
                DiskMb = app.DiskMb,
                ConfigDigest = AppConfig.Digest(app),
                State = InstanceStates.Starting,
                CrashCount = start.CrashCount,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Instances.Add(instance);
            // A -c command set on the app after staging overrides the droplet's.
            var command = string.IsNullOrWhiteSpace(app.Command) ? droplet.StartCommand : app.Command;
            db.AddToOutbox(new StartInstance(
                instance.Id, app.Id, app.Name, start.Index, start.CellId, droplet.Id,
                new DropletSpec(droplet.Layers.ToList(), command),
                app.MemoryMb, app.DiskMb, new Dictionary<string, string>(app.Env), app.Volumes.ToList(),
                spaces.GetValueOrDefault(app.SpaceId),
                new HealthCheck(app.HealthCheckType, app.HealthCheckEndpoint, app.HealthCheckTimeoutSeconds)),
                Queues.Cell(start.CellId));
        }
    }

    private void ReportUnplaced(PlatformDbContext db, List<Unplaced> unplaced, DateTimeOffset now)
    {
        lock (_gate)
        {
            var stillUnplaced = unplaced.Select(u => (u.App.Id, u.Index)).ToHashSet();
            _reportedUnplaced.IntersectWith(stillUnplaced);
            foreach (var u in unplaced)
            {
                if (!_reportedUnplaced.Add((u.App.Id, u.Index))) continue;
                logger.LogWarning("Cannot place instance {Index} of {App}: {Reason}", u.Index, u.App.Name, u.Reason);
                journal.AddEvent(db, u.App.Id, u.App.SpaceId, "app.placement-failed", $"instance {u.Index} not placed: {u.Reason}", now);
                journal.AddLogLine(db, u.App.Id, u.Index, "ERR", $"Instance {u.Index} not placed: {u.Reason}", now);
            }
        }
    }
}
