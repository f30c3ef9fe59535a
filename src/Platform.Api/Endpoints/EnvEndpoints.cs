using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Access;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Contracts;
using Platform.Contracts.Api;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Api.OpenApi;

namespace Platform.Api.Endpoints;

/// <summary>
/// An app's environment: GET .../env (plat env; values are secrets, for SpaceDevelopers), PUT .../env/{variable}
/// (plat set-env) and DELETE .../env/{variable} (plat unset-env). Names and sizes are checked here (400), not left to
/// crash the app later. A change reaches instances when they restart; the answer says when that is needed.
/// </summary>
public static class EnvEndpoints
{
    public static RouteGroupBuilder MapEnvEndpoints(this RouteGroupBuilder space)
    {
        space.MapGet("/apps/{name}/env", ShowAsync).InSpace(SpaceAction.ReadSecrets).Produces<AppEnvResponse>();
        space.MapPut("/apps/{name}/env/{variable}", SetAsync).InSpace(SpaceAction.Write).JsonBody<EnvValueRequest>().Produces<AppEnvResponse>();
        space.MapDelete("/apps/{name}/env/{variable}", UnsetAsync).InSpace(SpaceAction.Write).Produces<AppEnvResponse>();
        return space;
    }

    private static async Task<IResult> ShowAsync(string name, RequestScope scope, PlatformDbContext db, CancellationToken ct)
    {
        var app = await Apps.FindAsync(db, scope, name, ct, tracking: false);
        if (app is null) return ApiProblems.AppNotFound(name);
        return Results.Ok(await ResponseAsync(db, scope, app, ct));
    }

    private static async Task<IResult> SetAsync(string name, string variable, HttpRequest request, ClaimsPrincipal user, RequestScope scope,
        PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        if (EnvRules.CheckName(variable) is { } badName) return ApiProblems.BadRequest(badName);
        var (body, problem) = await JsonBody.ReadAsync<EnvValueRequest>(request, ct);
        if (problem is not null) return problem;
        if (body!.Value is null) return ApiProblems.BadRequest("give the variable's value: {\"value\": \"...\"}");
        var app = await Apps.FindAsync(db, scope, name, ct);
        if (app is null) return ApiProblems.AppNotFound(name);
        var env = new Dictionary<string, string>(app.Env) { [variable] = body.Value };
        if (EnvRules.Check(env) is { } bad) return ApiProblems.BadRequest(bad);
        if (!app.Env.TryGetValue(variable, out var old) || old != body.Value)
        {
            app.Env = env;
            var now = time.GetUtcNow();
            app.UpdatedAt = now;
            // The value is a secret: the event names the variable only.
            db.AddEvent(EventSubject.App(app), "app.env", user.UserName(), $"set {variable}", now);
            await Deployments.Revisions.SnapshotAsync(db, app, $"env change: set {variable}", now, ct);
            await db.SaveChangesAsync(ct);
        }
        return Results.Ok(await ResponseAsync(db, scope, app, ct));
    }

    private static async Task<IResult> UnsetAsync(string name, string variable, ClaimsPrincipal user, RequestScope scope,
        PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var app = await Apps.FindAsync(db, scope, name, ct);
        if (app is null) return ApiProblems.AppNotFound(name);
        if (!app.Env.ContainsKey(variable))
            return ApiProblems.NotFound("Variable not found", $"app {name} has no environment variable {variable}");
        var env = new Dictionary<string, string>(app.Env);
        env.Remove(variable);
        app.Env = env;
        var now = time.GetUtcNow();
        app.UpdatedAt = now;
        db.AddEvent(EventSubject.App(app), "app.env", user.UserName(), $"unset {variable}", now);
        await Deployments.Revisions.SnapshotAsync(db, app, $"env change: unset {variable}", now, ct);
        await db.SaveChangesAsync(ct);
        return Results.Ok(await ResponseAsync(db, scope, app, ct));
    }

    private static async Task<AppEnvResponse> ResponseAsync(PlatformDbContext db, RequestScope scope, AppEntity app, CancellationToken ct)
    {
        var access = scope.Space;
        var platform = PlatformEnvironment.For(app.Id, app.Name, app.MemoryMb, app.DiskMb,
            new InstanceSpace(access.Space.Id, access.Space.Name, access.Org.Id, access.Org.Name));
        return new AppEnvResponse(app.Env, platform, await Deployments.Revisions.RestartRequiredAsync(db, app, ct));
    }
}
