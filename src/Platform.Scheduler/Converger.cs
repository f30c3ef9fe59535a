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
    Microsoft.Extensions.Options.IOptions<SchedulerOptions> options,
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
        var deployments = await db.Deployments.Where(d => d.State == DeploymentStates.Deploying).ToListAsync(cancellationToken);
        var rollouts = deployments.GroupBy(d => d.AppId).ToDictionary(g => g.Key, g => g.OrderByDescending(d => d.CreatedAt).First());
        var plan = planner.Plan(apps, instances, cells, now,
            rollouts.ToDictionary(kv => kv.Key, kv => new Rollout(kv.Value.Strategy == DeploymentStrategies.Recreate, Math.Max(1, kv.Value.MaxInFlight))));

        await ApplyStartsAsync(db, plan.Starts, now, cancellationToken);
        foreach (var stop in plan.Stops)
        {
            // Drain: routers drop a RUNNING instance (they route RUNNING rows only) now, and its cell waits
            // Scheduler:DrainSeconds before it sends SIGTERM, so no new request reaches an instance about to go.
            var serving = stop.Instance.State == InstanceStates.Running;
            if (serving) db.AddToOutbox(new AppDesiredStateChanged(stop.Instance.AppId, now));
            stop.Instance.State = InstanceStates.Stopping;
            stop.Instance.Reason = stop.Reason;
            stop.Instance.UpdatedAt = now;
            db.AddToOutbox(new StopInstance(stop.Instance.Id, stop.Instance.CellId, stop.Reason,
                serving ? (int)(options.Value.DrainSeconds * 1000) : 0), Queues.Cell(stop.Instance.CellId));
        }
        AdvanceDeployments(db, plan, rollouts, now);
        foreach (var delete in plan.Deletes) db.Instances.Remove(delete.Instance);
        foreach (var lost in plan.Lost)
        {
            db.AddToOutbox(new AppDesiredStateChanged(lost.Instance.AppId, now));
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

    /// <summary>
    /// A deployment is DEPLOYED once its app runs the target everywhere and nothing outdated is left; it FAILS when the
    /// new revision's instances crashed Scheduler:DeploymentMaxCrashes times: the app goes back to the previous revision,
    /// whose instances kept serving.
    /// </summary>
    private void AdvanceDeployments(PlatformDbContext db, ConvergencePlan plan, Dictionary<Guid, DeploymentEntity> rollouts, DateTimeOffset now)
    {
        foreach (var status in plan.Rollouts)
        {
            if (!rollouts.TryGetValue(status.App.Id, out var deployment)) continue;
            var app = status.App;
            if (deployment.Crashes >= options.Value.DeploymentMaxCrashes && deployment.PreviousRevisionId is { } previous)
            {
                deployment.State = DeploymentStates.Failed;
                deployment.Reason = $"new instances crashed {deployment.Crashes} times: back to the previous revision";
                deployment.UpdatedAt = now;
                app.TargetRevisionId = previous;
                app.Generation = deployment.PreviousGeneration;
                journal.AddEvent(db, app.Id, app.SpaceId, "app.deploy-failed", deployment.Reason, now);
                db.AddToOutbox(new AppDesiredStateChanged(app.Id, now));
            }
            else if (status.Complete && app.TargetRevisionId == deployment.RevisionId && app.Generation == deployment.Generation)
            {
                deployment.State = DeploymentStates.Deployed;
                deployment.UpdatedAt = now;
                journal.AddEvent(db, app.Id, app.SpaceId, "app.deployed", $"{deployment.Strategy} deployment complete", now);
            }
        }
    }

    private async Task ApplyStartsAsync(PlatformDbContext db, List<PlannedStart> starts, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (starts.Count == 0) return;
        // What a new instance runs: its app's target revision (what is deployed or being rolled out), or for an app
        // from before revisions, its current droplet and settings.
        var revisionIds = starts.Where(s => s.App.TargetRevisionId != null).Select(s => s.App.TargetRevisionId!.Value).Distinct().ToList();
        var revisions = await db.Revisions.Where(r => revisionIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, cancellationToken);
        var dropletIds = starts.Select(s => s.App.TargetRevisionId is { } r && revisions.TryGetValue(r, out var rev) ? rev.DropletId : s.App.CurrentDropletId!.Value)
            .Distinct().ToList();
        var droplets = await db.Droplets.Where(d => dropletIds.Contains(d.Id)).ToDictionaryAsync(d => d.Id, cancellationToken);
        var spaceIds = starts.Select(s => s.App.SpaceId).Distinct().ToList();
        var spaces = await (
            from s in db.Spaces
            join o in db.Orgs on s.OrgId equals o.Id
            where spaceIds.Contains(s.Id)
            select new InstanceSpace(s.Id, s.Name, o.Id, o.Name)).ToDictionaryAsync(s => s.SpaceId, cancellationToken);
        var egress = await SecurityGroupRules.ForSpacesAsync(db, spaceIds, cancellationToken);
        foreach (var start in starts)
        {
            var app = start.App;
            var revision = app.TargetRevisionId is { } r ? revisions.GetValueOrDefault(r) : null;
            var dropletId = revision?.DropletId ?? app.CurrentDropletId!.Value;
            if (!droplets.TryGetValue(dropletId, out var droplet))
            {
                logger.LogError("App {App} should run droplet {Droplet}, which does not exist; not starting it", app.Name, dropletId);
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
                RevisionId = revision?.Id,
                Generation = app.Generation,
                MemoryMb = app.MemoryMb,
                DiskMb = app.DiskMb,
                State = InstanceStates.Starting,
                CrashCount = start.CrashCount,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Instances.Add(instance);
            var env = revision?.Env ?? app.Env;
            var customCommand = revision is null ? app.Command : revision.Command;
            var volumes = revision?.Volumes ?? app.Volumes;
            var health = revision is null
                ? new HealthCheck(app.HealthCheckType, app.HealthCheckEndpoint, app.HealthCheckTimeoutSeconds)
                : new HealthCheck(revision.HealthCheckType, revision.HealthCheckEndpoint, revision.HealthCheckTimeoutSeconds);
            // A -c command set on the app after staging overrides the droplet's.
            var command = string.IsNullOrWhiteSpace(customCommand) ? droplet.StartCommand : customCommand;
            var rules = egress.GetValueOrDefault(app.SpaceId);
            if (rules is { Count: > EgressRule.MaxRules })
            {
                // The cell refuses more; the first rules still apply, and whatever is cut stays denied, never opened.
                journal.AddLogLine(db, app.Id, start.Index, "ERR",
                    $"The space's security groups give {rules.Count} egress rules; only the first {EgressRule.MaxRules} apply", now);
                rules = rules[..EgressRule.MaxRules];
            }
            db.AddToOutbox(new StartInstance(
                instance.Id, app.Id, app.Name, start.Index, start.CellId, droplet.Id,
                new DropletSpec(droplet.Layers.ToList(), command),
                app.MemoryMb, app.DiskMb, new Dictionary<string, string>(env), volumes.ToList(),
                spaces.GetValueOrDefault(app.SpaceId), health, rules),
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
