using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Api.Access;
using Platform.Contracts;
using Platform.Contracts.Api;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Outbox;
using Platform.Data.Entities;

namespace Platform.Api.Endpoints;

/// <summary>
/// /v1/spaces/{space}/apps: create, list, show, update, delete, start, stop, restart, scale. App names are unique
/// within a space; every change is checked against the space's and org's quotas before anything is written.
/// </summary>
public static class AppsEndpoints
{
    public static RouteGroupBuilder MapAppsEndpoints(this RouteGroupBuilder space)
    {
        space.MapGet("/apps", ListAsync).InSpace(SpaceAction.Read);
        space.MapPost("/apps", CreateAsync).InSpace(SpaceAction.Write);
        space.MapGet("/apps/{name}", ShowAsync).InSpace(SpaceAction.Read);
        space.MapPatch("/apps/{name}", UpdateAsync).InSpace(SpaceAction.Write);
        space.MapDelete("/apps/{name}", DeleteAsync).InSpace(SpaceAction.Write);
        space.MapPost("/apps/{name}/start", StartAsync).InSpace(SpaceAction.Write);
        space.MapPost("/apps/{name}/stop", StopAsync).InSpace(SpaceAction.Write);
        space.MapPost("/apps/{name}/restart", RestartAsync).InSpace(SpaceAction.Write);
        space.MapPost("/apps/{name}/scale", ScaleAsync).InSpace(SpaceAction.Write);
        space.MapPut("/apps/{name}/features/ssh", SetSshAsync).InSpace(SpaceAction.Write);
        return space;
    }

    private static async Task<IResult> ListAsync(RequestScope scope, PlatformDbContext db, CancellationToken ct) =>
        Results.Ok(await AppViews.ListAsync(db, scope.Space.Space.Id, ct));

    private static async Task<IResult> CreateAsync(
        HttpRequest request, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db, QuotaPolicy quotas,
        IOptions<ApiOptions> options, TimeProvider time, CancellationToken ct)
    {
        var space = scope.Space.Space;
        var (body, problem) = await JsonBody.ReadAsync<AppRequest>(request, ct);
        if (problem is not null) return problem;
        if (AppRequestValidation.CheckName(body!.Name) is { } nameError) return ApiProblems.BadRequest(nameError);
        var (sizes, error) = AppRequestValidation.Parse(body.Instances, body.Memory, body.Disk);
        if (error is not null) return ApiProblems.BadRequest(error);
        if (Volumes.CheckList(body.Volumes) is { } volumeError) return ApiProblems.BadRequest(volumeError);
        if (EnvRules.Check(body.Env) is { } envError) return ApiProblems.BadRequest(envError);
        if (await CellCapacity.CheckAsync(db, sizes!.MemoryMb ?? 256, sizes.DiskMb ?? 1024, ct) is { } tooBig)
            return ApiProblems.Unprocessable("Too large for any cell", tooBig);
        var name = body.Name!;
        if (await db.Apps.AnyAsync(a => a.SpaceId == space.Id && a.Name == name, ct))
            return ApiProblems.Conflict($"the app name '{name}' is taken in this space: choose another or update the existing app");

        var now = time.GetUtcNow();
        var app = new AppEntity
        {
            Id = Guid.NewGuid(),
            SpaceId = space.Id,
            Name = name,
            State = AppStates.Stopped,
            Instances = sizes!.Instances ?? 1,
            MemoryMb = sizes.MemoryMb ?? 256,
            DiskMb = sizes.DiskMb ?? 1024,
            Buildpack = NullIfEmpty(body.Buildpack),
            Command = NullIfEmpty(body.Command),
            Env = body.Env ?? new(),
            Volumes = NormalizeVolumes(body.Volumes) ?? new(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        // A new app is created to be pushed and started: its size counts against the quotas now, so a push past a
        // quota is refused before anything is written.
        if (await quotas.CheckAppAsync(space, AppFootprint.None, AppFootprint.Of(app) with { Started = true }, newApp: true, ct) is { } quota)
            return ApiProblems.QuotaExceeded(quota);
        if (await quotas.CheckRoutesAsync(space, 1, ct) is { } routeQuota)
            return ApiProblems.QuotaExceeded(routeQuota);
        var host = $"{name}.{options.Value.AppsDomain}";
        if (await db.Routes.AnyAsync(r => r.Host == host && r.Path == "", ct))
            return ApiProblems.Conflict($"the route {host} is already mapped to another app: choose another app name");
        db.Apps.Add(app);
        db.Routes.Add(new RouteEntity { Id = Guid.NewGuid(), SpaceId = space.Id, AppId = app.Id, Host = host, CreatedAt = now });
        db.AddEvent(EventSubject.App(app), "app.create", user.UserName(),
            $"instances {app.Instances}, memory {app.MemoryMb}M, disk {app.DiskMb}M", now);
        db.AddToOutbox(new AppRoutesChanged(app.Id, now));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Lost a race with a concurrent create of the same name or route (unique indexes).
            return ApiProblems.Conflict($"the app name '{name}' or its route {host} is taken: choose another name");
        }
        return Results.Created($"/v1/spaces/{space.Id}/apps/{name}", Mapping.ToResponse(app, [host], 0, null, null));
    }

    private static async Task<IResult> ShowAsync(string name, RequestScope scope, PlatformDbContext db, TimeProvider time, CancellationToken ct) =>
        await AppViews.DetailAsync(db, scope.Space.Space.Id, name, time.GetUtcNow(), ct) is { } detail
            ? Results.Ok(detail)
            : ApiProblems.AppNotFound(name);

    private static async Task<IResult> UpdateAsync(
        string name, HttpRequest request, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db, QuotaPolicy quotas,
        TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<AppRequest>(request, ct);
        if (problem is not null) return problem;
        if (body!.Name is not null && body.Name != name)
            return ApiProblems.BadRequest($"renaming is not supported: the body names '{body.Name}' but the URL names '{name}'");
        var (sizes, error) = AppRequestValidation.Parse(body.Instances, body.Memory, body.Disk);
        if (error is not null) return ApiProblems.BadRequest(error);
        if (Volumes.CheckList(body.Volumes) is { } volumeError) return ApiProblems.BadRequest(volumeError);
        if (EnvRules.Check(body.Env) is { } envError) return ApiProblems.BadRequest(envError);
        if ((sizes!.MemoryMb is not null || sizes.DiskMb is not null)
            && await CellCapacity.CheckAsync(db, sizes.MemoryMb ?? 0, sizes.DiskMb ?? 0, ct) is { } tooBig)
            return ApiProblems.Unprocessable("Too large for any cell", tooBig);
        var app = await Apps.FindAsync(db, scope, name, ct);
        if (app is null) return ApiProblems.AppNotFound(name);
        var before = AppFootprint.Of(app);
        var after = before with { Instances = sizes!.Instances ?? before.Instances, MemoryMb = sizes.MemoryMb ?? before.MemoryMb };
        if (await quotas.CheckAppAsync(scope.Space.Space, before, after, newApp: false, ct) is { } quota)
            return ApiProblems.QuotaExceeded(quota);

        var now = time.GetUtcNow();
        var changes = new List<string>();
        if (sizes!.Instances is { } n && n != app.Instances) { app.Instances = n; changes.Add($"instances {n}"); }
        if (sizes.MemoryMb is { } m && m != app.MemoryMb) { app.MemoryMb = m; changes.Add($"memory {m}M"); }
        if (sizes.DiskMb is { } d && d != app.DiskMb) { app.DiskMb = d; changes.Add($"disk {d}M"); }
        if (body.Buildpack is not null) { app.Buildpack = NullIfEmpty(body.Buildpack); changes.Add($"buildpack {app.Buildpack ?? "(detect)"}"); }
        if (body.Command is not null) { app.Command = NullIfEmpty(body.Command); changes.Add("command"); }
        if (body.Env is not null) { app.Env = body.Env; changes.Add("env"); }
        // Like env, new volumes reach instances started from now on (plat restart).
        if (NormalizeVolumes(body.Volumes) is { } volumes && !volumes.SequenceEqual(app.Volumes))
        {
            app.Volumes = volumes;
            changes.Add(volumes.Count == 0 ? "volumes none" : "volumes " + string.Join(", ", volumes.Select(v => $"{v.Name}:{v.Path}")));
        }
        if (changes.Count > 0)
        {
            app.UpdatedAt = now;
            db.AddEvent(EventSubject.App(app), "app.update", user.UserName(), string.Join(", ", changes), now);
            if (sizes.Instances is not null) db.AddToOutbox(new AppRoutesChanged(app.Id, now));
            await db.SaveChangesAsync(ct);
        }
        return Results.Ok(await Mapping.ToResponseAsync(db, app, ct));
    }

    private static async Task<IResult> DeleteAsync(string name, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var app = await Apps.FindAsync(db, scope, name, ct);
        if (app is null) return ApiProblems.AppNotFound(name);
        var now = time.GetUtcNow();

        // One SaveChanges removes the app and what belongs to it, with the outbox message, atomically.
        // Instance rows stay: the scheduler stops instances whose app is gone and then removes them.
        // Blobs stay too: they are content-addressed and may be shared with other apps.
        db.Routes.RemoveRange(await db.Routes.Where(r => r.AppId == app.Id).ToListAsync(ct));
        db.Builds.RemoveRange(await db.Builds.Where(b => b.AppId == app.Id).ToListAsync(ct));
        db.Packages.RemoveRange(await db.Packages.Where(p => p.AppId == app.Id).ToListAsync(ct));
        db.Droplets.RemoveRange(await db.Droplets.Where(d => d.AppId == app.Id).ToListAsync(ct));
        db.Apps.Remove(app);
        db.AddEvent(EventSubject.App(app), "app.delete", user.UserName(), $"deleted app {name}", now);
        db.AddToOutbox(new AppRoutesChanged(app.Id, now));
        await db.SaveChangesAsync(ct);
        // Log lines can be many; they are no one's concern once the app is gone, so bulk-delete them after.
        await db.LogLines.Where(l => l.AppId == app.Id).ExecuteDeleteAsync(ct);
        return Results.NoContent();
    }

    private static async Task<IResult> StartAsync(string name, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db,
        QuotaPolicy quotas, TimeProvider time, CancellationToken ct)
    {
        var app = await Apps.FindAsync(db, scope, name, ct);
        if (app is null) return ApiProblems.AppNotFound(name);
        if (app.CurrentDropletId is null) return NotStaged(name);
        if (await quotas.CheckAppAsync(scope.Space.Space, AppFootprint.Of(app), AppFootprint.Of(app) with { Started = true }, newApp: false, ct) is { } quota)
            return ApiProblems.QuotaExceeded(quota);
        await SetStateAsync(db, app, AppStates.Started, user, time.GetUtcNow(), ct);
        return Results.Ok(await Mapping.ToResponseAsync(db, app, ct));
    }

    private static async Task<IResult> StopAsync(string name, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var app = await Apps.FindAsync(db, scope, name, ct);
        if (app is null) return ApiProblems.AppNotFound(name);
        // The scheduler sees STOPPED and stops the app's instances.
        await SetStateAsync(db, app, AppStates.Stopped, user, time.GetUtcNow(), ct);
        return Results.Ok(await Mapping.ToResponseAsync(db, app, ct));
    }

    /// <summary>Sets the desired state; a no-op (no event, no message) when it is already so.</summary>
    private static async Task SetStateAsync(PlatformDbContext db, AppEntity app, string state, ClaimsPrincipal user,
        DateTimeOffset now, CancellationToken ct)
    {
        if (app.State == state) return;
        app.State = state;
        app.UpdatedAt = now;
        var type = state == AppStates.Started ? "app.start" : "app.stop";
        db.AddEvent(EventSubject.App(app), type, user.UserName(), $"state {state}", now);
        db.AddToOutbox(new AppRoutesChanged(app.Id, now));
        await db.SaveChangesAsync(ct);
    }

    private static IResult NotStaged(string name) =>
        ApiProblems.Unprocessable("App not staged",
            $"app has not been staged: upload a package and create a build first (plat push {name})");

    /// <summary>
    /// Restart = every live instance is marked STOPPING and its cell gets a StopInstance (through the
    /// outbox, in the same transaction), and the app is STARTED. The scheduler counts only STARTING and
    /// RUNNING instances, so it places fresh ones for every index; the old rows go once their cells report.
    /// </summary>
    private static async Task<IResult> RestartAsync(string name, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db,
        QuotaPolicy quotas, TimeProvider time, CancellationToken ct)
    {
        var app = await Apps.FindAsync(db, scope, name, ct);
        if (app is null) return ApiProblems.AppNotFound(name);
        if (app.CurrentDropletId is null) return NotStaged(name);
        if (await quotas.CheckAppAsync(scope.Space.Space, AppFootprint.Of(app), AppFootprint.Of(app) with { Started = true }, newApp: false, ct) is { } quota)
            return ApiProblems.QuotaExceeded(quota);
        var now = time.GetUtcNow();
        var live = await db.Instances
            .Where(i => i.AppId == app.Id && (i.State == InstanceStates.Starting || i.State == InstanceStates.Running))
            .ToListAsync(ct);
        foreach (var instance in live)
        {
            instance.State = InstanceStates.Stopping;
            instance.Reason = "restart";
            instance.UpdatedAt = now;
            db.AddToOutbox(new StopInstance(instance.Id, instance.CellId, "restart"), Queues.Cell(instance.CellId));
        }
        app.State = AppStates.Started;
        app.UpdatedAt = now;
        db.AddEvent(EventSubject.App(app), "app.restart", user.UserName(), $"stopping {live.Count} instance(s) for replacement", now);
        db.AddToOutbox(new AppRoutesChanged(app.Id, now));
        await db.SaveChangesAsync(ct);
        return Results.Ok(await Mapping.ToResponseAsync(db, app, ct));
    }

    private static async Task<IResult> ScaleAsync(
        string name, HttpRequest request, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db, QuotaPolicy quotas,
        TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<ScaleRequest>(request, ct);
        if (problem is not null) return problem;
        var (sizes, error) = AppRequestValidation.Parse(body!.Instances, body.Memory, body.Disk);
        if (error is not null) return ApiProblems.BadRequest(error);
        if (sizes!.Instances is null && sizes.MemoryMb is null && sizes.DiskMb is null)
            return ApiProblems.BadRequest("nothing to scale: give instances, memory or disk");
        if ((sizes.MemoryMb is not null || sizes.DiskMb is not null)
            && await CellCapacity.CheckAsync(db, sizes.MemoryMb ?? 0, sizes.DiskMb ?? 0, ct) is { } tooBig)
            return ApiProblems.Unprocessable("Too large for any cell", tooBig);
        var app = await Apps.FindAsync(db, scope, name, ct);
        if (app is null) return ApiProblems.AppNotFound(name);
        var before = AppFootprint.Of(app);
        var after = before with { Instances = sizes.Instances ?? before.Instances, MemoryMb = sizes.MemoryMb ?? before.MemoryMb };
        if (await quotas.CheckAppAsync(scope.Space.Space, before, after, newApp: false, ct) is { } quota)
            return ApiProblems.QuotaExceeded(quota);

        var now = time.GetUtcNow();
        var changes = new List<string>();
        if (sizes.Instances is { } n) { changes.Add($"instances {app.Instances} -> {n}"); app.Instances = n; }
        if (sizes.MemoryMb is { } m) { changes.Add($"memory {app.MemoryMb}M -> {m}M"); app.MemoryMb = m; }
        if (sizes.DiskMb is { } d) { changes.Add($"disk {app.DiskMb}M -> {d}M"); app.DiskMb = d; }
        app.UpdatedAt = now;
        db.AddEvent(EventSubject.App(app), "app.scale", user.UserName(), string.Join(", ", changes), now);
        db.AddToOutbox(new AppRoutesChanged(app.Id, now));
        await db.SaveChangesAsync(ct);
        return Results.Ok(await Mapping.ToResponseAsync(db, app, ct));
    }

    /// <summary>PUT /apps/{name}/features/ssh {"enabled": bool}: plat enable-ssh / disable-ssh.</summary>
    private static async Task<IResult> SetSshAsync(string name, HttpRequest request, ClaimsPrincipal user, RequestScope scope,
        PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<FeatureRequest>(request, ct);
        if (problem is not null) return problem;
        var app = await Apps.FindAsync(db, scope, name, ct);
        if (app is null) return ApiProblems.AppNotFound(name);
        if (app.AllowSsh != body!.Enabled)
        {
            app.AllowSsh = body.Enabled;
            var now = time.GetUtcNow();
            app.UpdatedAt = now;
            db.AddEvent(EventSubject.App(app), "app.ssh", user.UserName(), body.Enabled ? "exec enabled" : "exec disabled", now);
            await db.SaveChangesAsync(ct);
        }
        return Results.Ok(new FeatureResponse("ssh", app.AllowSsh));
    }

    private static List<VolumeMount>? NormalizeVolumes(List<VolumeMount>? volumes) =>
        volumes?.Select(v => v with { Path = Volumes.NormalizePath(v.Path) }).ToList();

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
