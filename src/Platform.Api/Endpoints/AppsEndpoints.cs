using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Api.Access;
using Platform.Api.AppModel;
using Platform.Contracts;
using Platform.Contracts.Api;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Outbox;
using Platform.Data.Entities;
using Platform.Api.OpenApi;

namespace Platform.Api.Endpoints;

/// <summary>
/// /v1/spaces/{space}/apps: create, list, show, update, delete, start, stop, restart, scale. App names are unique
/// within a space; every change is checked against the space's and org's quotas before anything is written.
/// </summary>
public static class AppsEndpoints
{
    public static RouteGroupBuilder MapAppsEndpoints(this RouteGroupBuilder space)
    {
        space.MapGet("/apps", ListAsync).InSpace(SpaceAction.Read).Produces<List<AppResponse>>();
        space.MapPost("/apps", CreateAsync).InSpace(SpaceAction.Write).JsonBody<AppRequest>().Produces<AppResponse>(StatusCodes.Status201Created)
            .Problems(StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        space.MapGet("/apps/{name}", ShowAsync).InSpace(SpaceAction.Read).Produces<AppDetailResponse>();
        space.MapPatch("/apps/{name}", UpdateAsync).InSpace(SpaceAction.Write).JsonBody<AppRequest>("only the fields given change").Produces<AppResponse>()
            .Problems(StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        space.MapDelete("/apps/{name}", DeleteAsync).InSpace(SpaceAction.Write).Produces(StatusCodes.Status204NoContent);
        space.MapPost("/apps/{name}/start", StartAsync).InSpace(SpaceAction.Write).Produces<AppResponse>().Problems(StatusCodes.Status422UnprocessableEntity);
        space.MapPost("/apps/{name}/stop", StopAsync).InSpace(SpaceAction.Write).Produces<AppResponse>();
        space.MapPost("/apps/{name}/restart", RestartAsync).InSpace(SpaceAction.Write).Produces<AppResponse>()
            .Problems(StatusCodes.Status400BadRequest, StatusCodes.Status422UnprocessableEntity);
        space.MapPost("/apps/{name}/scale", ScaleAsync).InSpace(SpaceAction.Write).JsonBody<ScaleRequest>().Produces<AppResponse>().Problems(StatusCodes.Status422UnprocessableEntity);
        space.MapPut("/apps/{name}/features/ssh", SetSshAsync).InSpace(SpaceAction.Write).JsonBody<FeatureRequest>().Produces<FeatureResponse>();
        return space;
    }

    private static async Task<IResult> ListAsync(RequestScope scope, PlatformDbContext db, CancellationToken ct) =>
        Results.Ok(await AppViews.ListAsync(db, scope.Space.Space.Id, ct));

    private static async Task<IResult> CreateAsync(
        HttpRequest request, ClaimsPrincipal user, RequestScope scope, AppWriter writer, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<AppRequest>(request, ct);
        if (problem is not null) return problem;
        var (app, routes, error) = await writer.CreateAsync(scope.Space, body!, AppWriter.RouteChoice.Default, user.UserName(), ct);
        if (error is not null) return error.ToResult();
        return Results.Created($"/v1/spaces/{app!.SpaceId}/apps/{app.Name}", Mapping.ToResponse(app, routes, 0, null, null));
    }

    private static async Task<IResult> ShowAsync(string name, RequestScope scope, PlatformDbContext db, TimeProvider time, CancellationToken ct) =>
        await AppViews.DetailAsync(db, scope.Space.Space.Id, name, time.GetUtcNow(), ct) is { } detail
            ? Results.Ok(detail)
            : ApiProblems.AppNotFound(name);

    private static async Task<IResult> UpdateAsync(
        string name, HttpRequest request, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db, AppWriter writer, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<AppRequest>(request, ct);
        if (problem is not null) return problem;
        var app = await Apps.FindAsync(db, scope, name, ct);
        if (app is null) return ApiProblems.AppNotFound(name);
        var (_, error) = await writer.UpdateAsync(scope.Space, app, body!, user.UserName(), ct);
        return error is not null ? error.ToResult() : Results.Ok(await Mapping.ToResponseAsync(db, app, ct));
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
        db.AddToOutbox(new AppDesiredStateChanged(app.Id, now));
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
        if (state == AppStates.Started)
        {
            // A stopped app starts with its newest revision (made now for an app staged before revisions existed).
            if (app.RevisionId is null) await Deployments.Revisions.SnapshotAsync(db, app, "start", now, ct);
            app.TargetRevisionId = app.RevisionId;
            app.Generation++;
        }
        var type = state == AppStates.Started ? "app.start" : "app.stop";
        db.AddEvent(EventSubject.App(app), type, user.UserName(), $"state {state}", now);
        db.AddToOutbox(new AppDesiredStateChanged(app.Id, now));
        await db.SaveChangesAsync(ct);
    }

    private static IResult NotStaged(string name) =>
        ApiProblems.Unprocessable("App not staged",
            $"app has not been staged: upload a package and create a build first (plat push {name})");

    /// <summary>
    /// POST /apps/{name}/restart[?strategy=recreate&amp;maxInFlight=N]: a deployment of the app's newest revision that
    /// replaces every instance, rolling by default (new ones first; an old one stops once its replacement is healthy),
    /// or all at once with strategy=recreate. The answer is the app; its deployment shows in GET /apps/{name}.
    /// </summary>
    private static async Task<IResult> RestartAsync(string name, string? strategy, int? maxInFlight, ClaimsPrincipal user, RequestScope scope,
        PlatformDbContext db, QuotaPolicy quotas, Deployments.DeploymentService deployments, CancellationToken ct)
    {
        var app = await Apps.FindAsync(db, scope, name, ct);
        if (app is null) return ApiProblems.AppNotFound(name);
        if (app.CurrentDropletId is null) return NotStaged(name);
        if (await quotas.CheckAppAsync(scope.Space.Space, AppFootprint.Of(app), AppFootprint.Of(app) with { Started = true }, newApp: false, ct) is { } quota)
            return ApiProblems.QuotaExceeded(quota);
        var result = await deployments.StartAsync(app, strategy, maxInFlight, null, user.UserName(), ct);
        if (result.Problem is { } problem) return result.NotFound ? ApiProblems.NotFound("Not found", problem) : ApiProblems.BadRequest(problem);
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
        db.AddToOutbox(new AppDesiredStateChanged(app.Id, now));
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

}
