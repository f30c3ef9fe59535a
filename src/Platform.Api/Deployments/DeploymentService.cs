using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Data.Outbox;

namespace Platform.Api.Deployments;

/// <summary>
/// Starts and cancels deployments (plat push of a running app, plat restart, restage, rollback, cancel-deployment):
/// the app's target revision and generation change in one transaction with the deployment row and the event, and the
/// scheduler rolls the instances over (ConvergencePlanner). What may go wrong is answered before anything is written.
/// </summary>
public sealed class DeploymentService(PlatformDbContext db, IOptions<ApiOptions> options, TimeProvider time)
{
    public const int MaxInFlightLimit = 100;

    public sealed record Result(DeploymentEntity? Deployment, string? Problem, bool NotFound = false);

    /// <param name="version">A revision to deploy again (rollback), or null for the app's newest.</param>
    public async Task<Result> StartAsync(AppEntity app, string? strategy, int? maxInFlight, int? version, string actor, CancellationToken ct)
    {
        strategy ??= DeploymentStrategies.Rolling;
        if (!DeploymentStrategies.All.Contains(strategy))
            return new(null, $"strategy must be one of {string.Join(", ", DeploymentStrategies.All)}, not '{strategy}'");
        if (maxInFlight is < 1 or > MaxInFlightLimit)
            return new(null, $"max in flight must be between 1 and {MaxInFlightLimit}, not {maxInFlight}");
        var now = time.GetUtcNow();
        RevisionEntity? target;
        if (version is { } v)
        {
            var from = await db.Revisions.FirstOrDefaultAsync(r => r.AppId == app.Id && r.Version == v, ct);
            if (from is null)
            {
                var versions = await db.Revisions.Where(r => r.AppId == app.Id).OrderBy(r => r.Version).Select(r => r.Version).ToListAsync(ct);
                return new(null, versions.Count == 0
                    ? $"app {app.Name} has no revisions yet: push it first"
                    : $"app {app.Name} has no revision {v}: its revisions are {string.Join(", ", versions)}", NotFound: true);
            }
            if (from.DropletReleased)
                return new(null, $"revision {v} of {app.Name} no longer has its droplet (only the newest {options.Value.KeptRevisions} keep theirs)");
            target = await Revisions.CopyAsync(db, app, from, now, ct);
        }
        else
        {
            target = app.RevisionId is { } id ? await db.Revisions.FirstOrDefaultAsync(r => r.Id == id, ct) : null;
            if (target is null) return new(null, $"app has not been staged: upload a package and create a build first (plat push {app.Name})");
        }

        // A rollout still going is superseded: the new one starts from where that one was heading.
        foreach (var running in await db.Deployments.Where(d => d.AppId == app.Id && d.State == DeploymentStates.Deploying).ToListAsync(ct))
        {
            running.State = DeploymentStates.Canceled;
            running.Reason = "superseded by a newer deployment";
            running.UpdatedAt = now;
        }
        var wasStarted = app.State == AppStates.Started;
        var deployment = new DeploymentEntity
        {
            Id = Guid.NewGuid(),
            AppId = app.Id,
            RevisionId = target.Id,
            PreviousRevisionId = wasStarted ? app.TargetRevisionId : null,
            PreviousGeneration = app.Generation,
            Generation = app.Generation + 1,
            Strategy = strategy,
            MaxInFlight = maxInFlight ?? 1,
            Actor = actor,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Deployments.Add(deployment);
        app.TargetRevisionId = target.Id;
        app.Generation = deployment.Generation;
        app.State = AppStates.Started;
        app.UpdatedAt = now;
        db.AddEvent(EventSubject.App(app), "app.deploy", actor,
            $"{strategy} deployment of revision {target.Version} ({target.Description}), at most {deployment.MaxInFlight} instance(s) at a time", now);
        db.AddToOutbox(new AppDesiredStateChanged(app.Id, now));
        await ReleaseOldDropletsAsync(app, target, ct);
        await db.SaveChangesAsync(ct);
        return new(deployment, null);
    }

    /// <summary>Back to the revision that ran before (plat cancel-deployment): the rollout reverses, rolling.</summary>
    public async Task<Result> CancelAsync(AppEntity app, string actor, CancellationToken ct)
    {
        var deployment = await db.Deployments.Where(d => d.AppId == app.Id && d.State == DeploymentStates.Deploying)
            .OrderByDescending(d => d.CreatedAt).FirstOrDefaultAsync(ct);
        if (deployment is null) return new(null, $"app {app.Name} has no deployment in progress", NotFound: true);
        if (deployment.PreviousRevisionId is null)
            return new(null, $"the deployment of {app.Name} has nothing to go back to (the app did not run before it): stop the app instead");
        var now = time.GetUtcNow();
        deployment.State = DeploymentStates.Canceled;
        deployment.Reason = $"canceled by {actor}";
        deployment.UpdatedAt = now;
        app.TargetRevisionId = deployment.PreviousRevisionId;
        app.Generation = deployment.PreviousGeneration;
        app.UpdatedAt = now;
        db.AddEvent(EventSubject.App(app), "app.deploy-cancel", actor, "deployment canceled: back to the previous revision", now);
        db.AddToOutbox(new AppDesiredStateChanged(app.Id, now));
        await db.SaveChangesAsync(ct);
        return new(deployment, null);
    }

    /// <summary>
    /// Revisions older than the newest Api:KeptRevisions give up their droplet: the droplet row goes unless the app, a
    /// kept revision or a running instance still uses it (the blobs are content-addressed; unreferenced ones are
    /// collected by the blob GC).
    /// </summary>
    private async Task ReleaseOldDropletsAsync(AppEntity app, RevisionEntity newest, CancellationToken ct)
    {
        var keep = Math.Max(1, options.Value.KeptRevisions);
        var saved = await db.Revisions.Where(r => r.AppId == app.Id).ToListAsync(ct);
        var all = saved
            .Concat(db.ChangeTracker.Entries<RevisionEntity>().Where(e => e.State == EntityState.Added && e.Entity.AppId == app.Id).Select(e => e.Entity))
            .DistinctBy(r => r.Id).OrderByDescending(r => r.Version).ToList();
        var keptDroplets = all.Take(keep).Select(r => r.DropletId).Append(newest.DropletId).ToHashSet();
        if (app.CurrentDropletId is { } current) keptDroplets.Add(current);
        var running = (await db.Instances.Where(i => i.AppId == app.Id).Select(i => i.DropletId).ToListAsync(ct)).ToHashSet();
        foreach (var old in all.Skip(keep).Where(r => !r.DropletReleased && !keptDroplets.Contains(r.DropletId)))
        {
            old.DropletReleased = true;
            if (!running.Contains(old.DropletId) && await db.Droplets.FindAsync([old.DropletId], ct) is { } droplet)
                db.Droplets.Remove(droplet);
        }
    }
}
