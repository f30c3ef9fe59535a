using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Deployments;

/// <summary>
/// Makes an app's revisions: a snapshot of its droplet and settings whenever one of them changes (a staged droplet, an
/// env or command change, a rollback), numbered 1, 2, 3... per app. The newest becomes the app's <see cref="AppEntity.RevisionId"/>;
/// what runs changes only with a deployment (or a start of a stopped app).
/// </summary>
public static class Revisions
{
    /// <summary>A new revision from the app as it is now; null when the app has no droplet yet (nothing to run).</summary>
    public static async Task<RevisionEntity?> SnapshotAsync(PlatformDbContext db, AppEntity app, string description, DateTimeOffset now, CancellationToken ct)
    {
        if (app.CurrentDropletId is not { } droplet) return null;
        var version = await NextVersionAsync(db, app.Id, ct);
        var revision = new RevisionEntity
        {
            Id = Guid.NewGuid(),
            AppId = app.Id,
            Version = version,
            DropletId = droplet,
            Env = new Dictionary<string, string>(app.Env),
            Command = app.Command,
            Volumes = app.Volumes.ToList(),
            HealthCheckType = app.HealthCheckType,
            HealthCheckEndpoint = app.HealthCheckEndpoint,
            HealthCheckTimeoutSeconds = app.HealthCheckTimeoutSeconds,
            Description = description,
            CreatedAt = now,
        };
        db.Revisions.Add(revision);
        app.RevisionId = revision.Id;
        // A stopped app runs nothing: it will start with its newest revision anyway.
        if (app.TargetRevisionId is null || app.State != AppStates.Started) app.TargetRevisionId = revision.Id;
        return revision;
    }

    /// <summary>The app's settings go back to those of <paramref name="from"/>, as a new revision ("rollback to N").</summary>
    public static async Task<RevisionEntity> CopyAsync(PlatformDbContext db, AppEntity app, RevisionEntity from, DateTimeOffset now, CancellationToken ct)
    {
        app.CurrentDropletId = from.DropletId;
        app.Env = new Dictionary<string, string>(from.Env);
        app.Command = from.Command;
        app.Volumes = from.Volumes.ToList();
        (app.HealthCheckType, app.HealthCheckEndpoint, app.HealthCheckTimeoutSeconds) = (from.HealthCheckType, from.HealthCheckEndpoint, from.HealthCheckTimeoutSeconds);
        return (await SnapshotAsync(db, app, $"rollback to {from.Version}", now, ct))!;
    }

    /// <summary>Whether a live instance runs another revision or size than the app has now (a restart would change it).</summary>
    public static Task<bool> RestartRequiredAsync(PlatformDbContext db, AppEntity app, CancellationToken ct) =>
        db.Instances.AnyAsync(i => i.AppId == app.Id
            && (i.State == InstanceStates.Starting || i.State == InstanceStates.Running)
            && ((app.RevisionId != null && i.RevisionId != app.RevisionId) || i.MemoryMb != app.MemoryMb || i.DiskMb != app.DiskMb), ct);

    private static async Task<int> NextVersionAsync(PlatformDbContext db, Guid appId, CancellationToken ct)
    {
        // Revisions added in this unit of work count too (a change that makes two in one request).
        var saved = await db.Revisions.Where(r => r.AppId == appId).MaxAsync(r => (int?)r.Version, ct) ?? 0;
        var pending = db.ChangeTracker.Entries<RevisionEntity>().Where(e => e.State == EntityState.Added && e.Entity.AppId == appId)
            .Select(e => e.Entity.Version).DefaultIfEmpty(0).Max();
        return Math.Max(saved, pending) + 1;
    }
}
