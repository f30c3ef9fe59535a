using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Access;
using Platform.Api.Auth;
using Platform.Api.Deployments;
using Platform.Api.Infrastructure;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Api.OpenApi;

namespace Platform.Api.Endpoints;

/// <summary>
/// An app's revisions and deployments: GET .../revisions (plat revisions), GET and POST .../deployments (plat push,
/// restart, restage, rollback --version N), POST .../deployments/cancel (plat cancel-deployment).
/// </summary>
public static class DeploymentsEndpoints
{
    public static RouteGroupBuilder MapDeploymentsEndpoints(this RouteGroupBuilder space)
    {
        space.MapGet("/apps/{name}/revisions", RevisionsAsync).InSpace(SpaceAction.Read).Produces<List<RevisionResponse>>();
        space.MapGet("/apps/{name}/deployments", ListAsync).InSpace(SpaceAction.Read).Produces<List<DeploymentResponse>>();
        space.MapPost("/apps/{name}/deployments", CreateAsync).InSpace(SpaceAction.Write).JsonBody<DeploymentRequest>().Produces<DeploymentResponse>(StatusCodes.Status201Created).Problems(StatusCodes.Status422UnprocessableEntity);
        space.MapPost("/apps/{name}/deployments/cancel", CancelAsync).InSpace(SpaceAction.Write).Produces<DeploymentResponse>().Problems(StatusCodes.Status422UnprocessableEntity);
        return space;
    }

    private static async Task<IResult> RevisionsAsync(string name, RequestScope scope, PlatformDbContext db, CancellationToken ct)
    {
        var app = await Apps.FindAsync(db, scope, name, ct, tracking: false);
        if (app is null) return ApiProblems.AppNotFound(name);
        var revisions = await db.Revisions.AsNoTracking().Where(r => r.AppId == app.Id).OrderByDescending(r => r.Version).ToListAsync(ct);
        return Results.Ok(revisions.Select(r => new RevisionResponse(r.Version, r.Description, r.DropletId,
            r.Id == app.TargetRevisionId, r.Id == app.RevisionId, !r.DropletReleased, r.CreatedAt)).ToList());
    }

    private static async Task<IResult> ListAsync(string name, RequestScope scope, PlatformDbContext db, CancellationToken ct)
    {
        var app = await Apps.FindAsync(db, scope, name, ct, tracking: false);
        if (app is null) return ApiProblems.AppNotFound(name);
        var deployments = await db.Deployments.AsNoTracking().Where(d => d.AppId == app.Id)
            .OrderByDescending(d => d.CreatedAt).Take(20).ToListAsync(ct);
        return Results.Ok(await ResponsesAsync(db, deployments, ct));
    }

    private static async Task<IResult> CreateAsync(string name, HttpRequest request, ClaimsPrincipal user, RequestScope scope,
        PlatformDbContext db, QuotaPolicy quotas, DeploymentService deployments, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<DeploymentRequest>(request, ct);
        if (problem is not null) return problem;
        var app = await Apps.FindAsync(db, scope, name, ct);
        if (app is null) return ApiProblems.AppNotFound(name);
        if (await quotas.CheckAppAsync(scope.Space.Space, AppFootprint.Of(app), AppFootprint.Of(app) with { Started = true }, newApp: false, ct) is { } quota)
            return ApiProblems.QuotaExceeded(quota);
        var result = await deployments.StartAsync(app, body!.Strategy, body.MaxInFlight, body.Revision, user.UserName(), ct);
        if (result.Problem is { } error)
            return result.NotFound ? ApiProblems.NotFound("Revision not found", error)
                : error.StartsWith("app has not been staged", StringComparison.Ordinal) || error.Contains("no longer has its droplet", StringComparison.Ordinal)
                    ? ApiProblems.Unprocessable("Cannot deploy", error)
                    : ApiProblems.BadRequest(error);
        return Results.Created($"/v1/spaces/{app.SpaceId}/apps/{name}/deployments", (await ResponsesAsync(db, [result.Deployment!], ct))[0]);
    }

    private static async Task<IResult> CancelAsync(string name, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db,
        DeploymentService deployments, CancellationToken ct)
    {
        var app = await Apps.FindAsync(db, scope, name, ct);
        if (app is null) return ApiProblems.AppNotFound(name);
        var result = await deployments.CancelAsync(app, user.UserName(), ct);
        if (result.Problem is { } error)
            return result.NotFound ? ApiProblems.NotFound("No deployment", error) : ApiProblems.Unprocessable("Cannot cancel", error);
        return Results.Ok((await ResponsesAsync(db, [result.Deployment!], ct))[0]);
    }

    internal static async Task<List<DeploymentResponse>> ResponsesAsync(PlatformDbContext db, List<DeploymentEntity> deployments, CancellationToken ct)
    {
        var ids = deployments.SelectMany(d => new[] { d.RevisionId, d.PreviousRevisionId ?? Guid.Empty }).Distinct().ToList();
        var versions = await db.Revisions.Where(r => ids.Contains(r.Id)).ToDictionaryAsync(r => r.Id, r => r.Version, ct);
        return deployments.Select(d => new DeploymentResponse(d.Id, d.State, d.Strategy, d.MaxInFlight, versions.GetValueOrDefault(d.RevisionId),
            d.PreviousRevisionId is { } p && versions.TryGetValue(p, out var pv) ? pv : null, d.Reason, d.Actor, d.CreatedAt, d.UpdatedAt)).ToList();
    }
}
