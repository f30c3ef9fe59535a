using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Contracts.Messages;
using Platform.Data;
using Platform.Data.Outbox;
using Platform.Data.Entities;

namespace Platform.Api.Endpoints;

/// <summary>Builds: stage an app's latest package (POST) and follow the build (GET).</summary>
public static class BuildsEndpoints
{
    public static RouteGroupBuilder MapBuildsEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapPost("/apps/{name}/builds", CreateAsync);
        v1.MapGet("/builds/{id:guid}", ShowAsync);
        return v1;
    }

    private static async Task<IResult> CreateAsync(string name, ClaimsPrincipal user, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var app = await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Name == name, ct);
        if (app is null) return ApiProblems.AppNotFound(name);
        var package = await db.Packages.AsNoTracking().Where(p => p.AppId == app.Id)
            .OrderByDescending(p => p.CreatedAt).FirstOrDefaultAsync(ct);
        if (package is null)
            return ApiProblems.Unprocessable("No package",
                $"app '{name}' has no package to stage: upload one first (PUT /v1/apps/{name}/package, or plat push {name} -p PATH)");

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
        db.AddEvent(app.Id, "app.build", CurrentUser.Name(user), $"staging package {package.Digest}", now);
        await db.SaveChangesAsync(ct);
        return Results.Created($"/v1/builds/{build.Id}", Mapping.ToResponse(build));
    }

    private static async Task<IResult> ShowAsync(Guid id, PlatformDbContext db, CancellationToken ct)
    {
        var build = await db.Builds.AsNoTracking().FirstOrDefaultAsync(b => b.Id == id, ct);
        return build is null
            ? ApiProblems.NotFound("Build not found", $"build '{id}' not found")
            : Results.Ok(Mapping.ToResponse(build));
    }
}
