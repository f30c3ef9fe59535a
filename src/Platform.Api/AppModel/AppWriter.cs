using Microsoft.EntityFrameworkCore;
using Platform.Api.Access;
using Platform.Api.Endpoints;
using Platform.Api.Infrastructure;
using Platform.Api.Routing;
using Platform.Contracts;
using Platform.Contracts.Api;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Data.Outbox;

namespace Platform.Api.AppModel;

/// <summary>
/// Creates apps and changes their settings, for POST and PATCH /apps and for manifests alike: every field checked, the
/// quotas and cells' sizes respected, nothing written when anything is refused, and the change described (names of env
/// variables only: their values are secrets) for the app's events and the manifest's answer.
/// </summary>
public sealed class AppWriter(PlatformDbContext db, QuotaPolicy quotas, RouteMapper routes, TimeProvider time)
{
    /// <summary>Which routes a new app gets: its default one, none, a random one, or those listed.</summary>
    public sealed record RouteChoice(bool None = false, bool Random = false, IReadOnlyList<RouteTarget>? Routes = null)
    {
        public static readonly RouteChoice Default = new();
    }

    /// <summary>Creates the app with its routes, all or nothing; the app and the URLs of its routes, or the refusal.</summary>
    public async Task<(AppEntity? App, IReadOnlyList<string> Routes, ApiError? Error)> CreateAsync(
        SpaceAccess access, AppRequest body, RouteChoice choice, string actor, CancellationToken ct)
    {
        var space = access.Space;
        if (AppRequestValidation.CheckName(body.Name) is { } nameError) return Fail(ApiError.BadRequest(nameError));
        if (CheckFields(body) is { } fieldError) return Fail(fieldError);
        var (sizes, _) = AppRequestValidation.Parse(body.Instances, body.Memory, body.Disk);
        if (await CellCapacity.CheckAsync(db, sizes!.MemoryMb ?? 256, sizes.DiskMb ?? 1024, ct) is { } tooBig)
            return Fail(ApiError.Unprocessable("Too large for any cell", tooBig));
        var name = body.Name!;
        if (await db.Apps.AnyAsync(a => a.SpaceId == space.Id && a.Name == name, ct))
            return Fail(ApiError.Conflict($"the app name '{name}' is taken in this space: choose another or update the existing app"));

        var now = time.GetUtcNow();
        var app = new AppEntity
        {
            Id = Guid.NewGuid(),
            SpaceId = space.Id,
            Name = name,
            State = AppStates.Stopped,
            Instances = sizes.Instances ?? 1,
            MemoryMb = sizes.MemoryMb ?? 256,
            DiskMb = sizes.DiskMb ?? 1024,
            Buildpack = NullIfEmpty(body.Buildpack),
            Command = NullIfEmpty(body.Command),
            HealthCheckType = body.HealthCheckType ?? (body.HealthCheckEndpoint is not null ? HealthChecks.Http : HealthChecks.Port),
            HealthCheckEndpoint = NullIfEmpty(body.HealthCheckEndpoint),
            HealthCheckTimeoutSeconds = body.HealthCheckTimeout,
            Env = body.Env ?? new(),
            Volumes = NormalizeVolumes(body.Volumes) ?? new(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        // A new app is created to be pushed and started: its size counts against the quotas now, so a push past a
        // quota is refused before anything is written.
        if (await quotas.CheckAppAsync(space, AppFootprint.None, AppFootprint.Of(app) with { Started = true }, newApp: true, ct) is { } quota)
            return Fail(ApiError.QuotaExceeded(quota));

        var targets = choice.None ? []
            : choice.Random ? [await routes.RandomAsync(name, ct)]
            : choice.Routes ?? [await routes.DefaultAsync(name, ct)];
        if (targets.Count > 0 && await quotas.CheckRoutesAsync(space, targets.Count, ct) is { } routeQuota)
            return Fail(ApiError.QuotaExceeded(routeQuota));
        foreach (var target in targets)
            if (await routes.CheckAvailableAsync(access, app.Id, target, ct) is { } taken)
                return Fail(choice.Routes is null
                    ? ApiError.Conflict($"the route {target.Url} is taken: choose another app name, or push with routes of its own")
                    : taken);

        await using var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
        db.Apps.Add(app);
        db.AddEvent(EventSubject.App(app), "app.create", actor, $"instances {app.Instances}, memory {app.MemoryMb}M, disk {app.DiskMb}M", now);
        // Mapping each route tells the routers (and wakes the scheduler); an app without routes says so itself.
        if (targets.Count == 0) db.AddToOutbox(new AppDesiredStateChanged(app.Id, now));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Lost a race with a concurrent create of the same name (unique index).
            return Fail(ApiError.Conflict($"the app name '{name}' is taken in this space: choose another name"));
        }
        foreach (var target in targets)
            if ((await routes.MapAsync(access, app, target, actor, ct)).Error is { } error)
                return Fail(error); // the transaction is rolled back: no app without the routes it asked for
        if (transaction is not null) await transaction.CommitAsync(ct);
        return (app, targets.Select(t => t.Url).ToList(), null);
    }

    /// <summary>
    /// Applies the given fields (null: unchanged); the descriptions of what changed (empty: nothing did), or the refusal.
    /// <see cref="AppRequest.Env"/> replaces the app's variables.
    /// </summary>
    public async Task<(List<string> Changes, ApiError? Error)> UpdateAsync(SpaceAccess access, AppEntity app, AppRequest body, string actor, CancellationToken ct)
    {
        if (body.Name is not null && body.Name != app.Name)
            return ([], ApiError.BadRequest($"renaming is not supported: the body names '{body.Name}' but the URL names '{app.Name}'"));
        if (CheckFields(body) is { } fieldError) return ([], fieldError);
        var (sizes, _) = AppRequestValidation.Parse(body.Instances, body.Memory, body.Disk);
        if ((sizes!.MemoryMb is not null || sizes.DiskMb is not null)
            && await CellCapacity.CheckAsync(db, sizes.MemoryMb ?? 0, sizes.DiskMb ?? 0, ct) is { } tooBig)
            return ([], ApiError.Unprocessable("Too large for any cell", tooBig));
        var before = AppFootprint.Of(app);
        var after = before with { Instances = sizes.Instances ?? before.Instances, MemoryMb = sizes.MemoryMb ?? before.MemoryMb };
        if (await quotas.CheckAppAsync(access.Space, before, after, newApp: false, ct) is { } quota)
            return ([], ApiError.QuotaExceeded(quota));

        var changes = new List<string>();
        var type = body.HealthCheckType ?? (body.HealthCheckEndpoint is not null ? HealthChecks.Http : app.HealthCheckType);
        var endpoint = type == HealthChecks.Http ? NullIfEmpty(body.HealthCheckEndpoint) ?? app.HealthCheckEndpoint : null;
        var timeout = body.HealthCheckTimeout ?? app.HealthCheckTimeoutSeconds;
        if (HealthChecks.Check(type, endpoint, timeout) is { } healthError) return ([], ApiError.BadRequest(healthError));

        if (sizes.Instances is { } n && n != app.Instances) { changes.Add($"instances {app.Instances} -> {n}"); app.Instances = n; }
        if (sizes.MemoryMb is { } m && m != app.MemoryMb) { changes.Add($"memory {app.MemoryMb}M -> {m}M"); app.MemoryMb = m; }
        if (sizes.DiskMb is { } d && d != app.DiskMb) { changes.Add($"disk {app.DiskMb}M -> {d}M"); app.DiskMb = d; }
        if (body.Buildpack is not null && NullIfEmpty(body.Buildpack) != app.Buildpack)
        {
            app.Buildpack = NullIfEmpty(body.Buildpack);
            changes.Add($"buildpack {app.Buildpack ?? "(detect)"}");
        }
        if (body.Command is not null && NullIfEmpty(body.Command) != app.Command)
        {
            app.Command = NullIfEmpty(body.Command);
            changes.Add(app.Command is null ? "command (the buildpack's)" : "command");
        }
        if (body.Env is not null && EnvChanges(app.Env, body.Env) is { Count: > 0 } envChanges)
        {
            app.Env = body.Env;
            changes.AddRange(envChanges);
        }
        if (type != app.HealthCheckType || endpoint != app.HealthCheckEndpoint || timeout != app.HealthCheckTimeoutSeconds)
        {
            (app.HealthCheckType, app.HealthCheckEndpoint, app.HealthCheckTimeoutSeconds) = (type, endpoint, timeout);
            changes.Add($"health check {type}{(endpoint is null ? "" : " " + endpoint)}{(timeout is { } t ? $" {t}s" : "")}");
        }
        // Like env, new volumes reach instances started from now on (plat restart).
        if (NormalizeVolumes(body.Volumes) is { } volumes && !volumes.SequenceEqual(app.Volumes))
        {
            app.Volumes = volumes;
            changes.Add(volumes.Count == 0 ? "volumes none" : "volumes " + string.Join(", ", volumes.Select(v => $"{v.Name}:{v.Path}")));
        }
        if (changes.Count > 0)
        {
            var now = time.GetUtcNow();
            app.UpdatedAt = now;
            db.AddEvent(EventSubject.App(app), "app.update", actor, string.Join(", ", changes), now);
            // What instances run (env, command, volumes, health check) changed: a new revision, deployed by a restart.
            var runs = changes.Where(c => !c.StartsWith("instances", StringComparison.Ordinal) && !c.StartsWith("memory", StringComparison.Ordinal)
                                          && !c.StartsWith("disk", StringComparison.Ordinal) && !c.StartsWith("buildpack", StringComparison.Ordinal)).ToList();
            if (runs.Count > 0) await Deployments.Revisions.SnapshotAsync(db, app, string.Join(", ", runs), now, ct);
            if (sizes.Instances is not null) db.AddToOutbox(new AppDesiredStateChanged(app.Id, now));
            await db.SaveChangesAsync(ct);
        }
        return (changes, null);
    }

    /// <summary>
    /// Whether a live instance runs another revision (env, command, volumes, health check, droplet) or size than the app
    /// has now: it gets the app's when restarted.
    /// </summary>
    public Task<bool> RestartRequiredAsync(AppEntity app, CancellationToken ct) => Deployments.Revisions.RestartRequiredAsync(db, app, ct);

    /// <summary>"env FOO added", "env BAR changed", "env BAZ removed", by name.</summary>
    internal static List<string> EnvChanges(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after)
    {
        var changes = new List<string>();
        foreach (var (k, v) in after.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            if (!before.TryGetValue(k, out var old)) changes.Add($"env {k} added");
            else if (old != v) changes.Add($"env {k} changed");
        foreach (var k in before.Keys.Where(k => !after.ContainsKey(k)).Order(StringComparer.Ordinal))
            changes.Add($"env {k} removed");
        return changes;
    }

    private static ApiError? CheckFields(AppRequest body)
    {
        var (_, error) = AppRequestValidation.Parse(body.Instances, body.Memory, body.Disk);
        if (error is not null) return ApiError.BadRequest(error);
        if (Volumes.CheckList(body.Volumes) is { } volumeError) return ApiError.BadRequest(volumeError);
        if (EnvRules.Check(body.Env) is { } envError) return ApiError.BadRequest(envError);
        if (HealthChecks.Check(body.HealthCheckType, body.HealthCheckEndpoint, body.HealthCheckTimeout) is { } healthError)
            return ApiError.BadRequest(healthError);
        return null;
    }

    private static (AppEntity?, IReadOnlyList<string>, ApiError?) Fail(ApiError error) => (null, [], error);

    private static List<VolumeMount>? NormalizeVolumes(List<VolumeMount>? volumes) =>
        volumes?.Select(v => v with { Path = Volumes.NormalizePath(v.Path) }).ToList();

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
