using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts.Api;
using Platform.Api.OpenApi;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Api.Access;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Outbox;
using Platform.Data.Entities;

namespace Platform.Api.Endpoints;

/// <summary>Builds: stage an app's latest package (POST) and follow the build (GET), in the app's space.</summary>
public static class BuildsEndpoints
{
    public static RouteGroupBuilder MapBuildsEndpoints(this RouteGroupBuilder space)
    {
        space.MapPost("/apps/{name}/builds", CreateAsync).InSpace(SpaceAction.Write).Produces<BuildResponse>(StatusCodes.Status201Created).Problems(StatusCodes.Status422UnprocessableEntity);
        space.MapGet("/apps/{name}/builds/{id:guid}", ShowAsync).InSpace(SpaceAction.Read).Produces<BuildResponse>();
        return space;
    }

    private static async Task<IResult> CreateAsync(string name, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var app = await Apps.FindAsync(db, scope, name, ct, tracking: false);
        if (app is null) return ApiProblems.AppNotFound(name);
        var package = await db.Packages.AsNoTracking().Where(p => p.AppId == app.Id)
            .OrderByDescending(p => p.CreatedAt).FirstOrDefaultAsync(ct);
        if (package is null)
            return ApiProblems.Unprocessable("No package",
                $"app '{name}' has no package to stage: upload one first (PUT /v1/spaces/{app.SpaceId}/apps/{name}/package, or plat push {name} -p PATH)");

        var now = time.GetUtcNow();
        var build = new BuildEntity
        {
            Id = Guid.NewGuid(),
            AppId = app.Id,
            PackageId = package.Id,
            State = BuildStates.Staging,
            Buildpack = app.Buildpack,
            CreatedAt = now,
        };
        db.Builds.Add(build);
        db.AddToOutbox(new StageApp(build.Id, app.Id, app.Name, package.Digest, app.Buildpack, app.Command,
            app.MemoryMb, app.DiskMb, new Dictionary<string, string>(app.Env)), Queues.Stage);
        db.AddEvent(EventSubject.App(app), "app.build", user.UserName(), $"staging package {package.Digest}", now);
        await db.SaveChangesAsync(ct);
        return Results.Created($"/v1/spaces/{app.SpaceId}/apps/{name}/builds/{build.Id}", Mapping.ToResponse(build));
    }

    private static async Task<IResult> ShowAsync(string name, Guid id, RequestScope scope, PlatformDbContext db, CancellationToken ct)
    {
        var appId = await Apps.IdAsync(db, scope, name, ct);
        if (appId is null) return ApiProblems.AppNotFound(name);
        var build = await db.Builds.AsNoTracking().FirstOrDefaultAsync(b => b.Id == id && b.AppId == appId, ct);
        return build is null
            ? ApiProblems.NotFound("Build not found", $"build '{id}' not found")
            : Results.Ok(Mapping.ToResponse(build));
    }
}
