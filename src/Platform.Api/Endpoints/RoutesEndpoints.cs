using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Platform.Api.Access;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Api.Routing;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Api.OpenApi;

namespace Platform.Api.Endpoints;

/// <summary>
/// A space's routes: list (plat routes), make (create-route), delete (delete-route), and map to and unmap from its apps
/// (map-route, unmap-route). A route is named by its domain, host name and path: in the JSON body where there is one,
/// as ?domain=&amp;host=&amp;path= on DELETE.
/// </summary>
public static class RoutesEndpoints
{
    public static RouteGroupBuilder MapRoutesEndpoints(this RouteGroupBuilder space)
    {
        space.MapGet("/routes", ListAsync).InSpace(SpaceAction.Read).Produces<List<RouteResponse>>();
        space.MapPost("/routes", CreateAsync).InSpace(SpaceAction.Write).JsonBody<RouteRequest>()
            .Produces<RouteResponse>(StatusCodes.Status201Created).Produces<RouteResponse>().RouteRefusals();
        space.MapDelete("/routes", DeleteAsync).InSpace(SpaceAction.Write).Produces(StatusCodes.Status204NoContent).Problems(StatusCodes.Status400BadRequest).RouteRefusals();
        space.MapPost("/apps/{name}/routes", MapAsync).InSpace(SpaceAction.Write).JsonBody<RouteRequest>().Produces<AppResponse>().RouteRefusals();
        space.MapDelete("/apps/{name}/routes", UnmapAsync).InSpace(SpaceAction.Write).Produces<AppResponse>().Problems(StatusCodes.Status400BadRequest).RouteRefusals();
        return space;
    }

    /// <summary>What <see cref="RouteMapper"/> refuses: an unknown domain or route (404), a route of another space (409), a quota (422).</summary>
    private static RouteHandlerBuilder RouteRefusals(this RouteHandlerBuilder endpoint) =>
        endpoint.Problems(StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);

    private static async Task<IResult> ListAsync(RequestScope scope, RouteMapper routes, CancellationToken ct) =>
        Results.Ok(await routes.ListAsync(scope.Space.Space.Id, ct));

    private static async Task<IResult> CreateAsync(HttpRequest request, ClaimsPrincipal user, RequestScope scope, RouteMapper routes, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<RouteRequest>(request, ct);
        if (problem is not null) return problem;
        var (target, error) = await routes.ResolveAsync(scope.Space, body!, ct);
        if (error is not null) return error.ToResult();
        var (created, refused) = await routes.CreateAsync(scope.Space, target!, user.UserName(), ct);
        if (refused is not null) return refused.ToResult();
        var route = (await routes.ListAsync(scope.Space.Space.Id, ct)).First(r => r.Url == target!.Url);
        return created ? Results.Created($"/v1/spaces/{scope.Space.Space.Id}/routes", route) : Results.Ok(route);
    }

    private static async Task<IResult> DeleteAsync(string? domain, string? host, string? path, ClaimsPrincipal user, RequestScope scope,
        RouteMapper routes, CancellationToken ct)
    {
        var (target, error) = await routes.ResolveAsync(scope.Space, new RouteRequest(domain, host, path), ct);
        if (error is not null) return error.ToResult();
        return await routes.DeleteAsync(scope.Space, target!, user.UserName(), ct) is { } refused ? refused.ToResult() : Results.NoContent();
    }

    private static async Task<IResult> MapAsync(string name, HttpRequest request, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db,
        RouteMapper routes, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<RouteRequest>(request, ct);
        if (problem is not null) return problem;
        var app = await Apps.FindAsync(db, scope, name, ct);
        if (app is null) return ApiProblems.AppNotFound(name);
        var (target, error) = await routes.ResolveAsync(scope.Space, body!, ct);
        if (error is not null) return error.ToResult();
        var (_, refused) = await routes.MapAsync(scope.Space, app, target!, user.UserName(), ct);
        return refused is not null ? refused.ToResult() : Results.Ok(await Mapping.ToResponseAsync(db, app, ct));
    }

    private static async Task<IResult> UnmapAsync(string name, string? domain, string? host, string? path, ClaimsPrincipal user, RequestScope scope,
        PlatformDbContext db, RouteMapper routes, CancellationToken ct)
    {
        var app = await Apps.FindAsync(db, scope, name, ct);
        if (app is null) return ApiProblems.AppNotFound(name);
        var (target, error) = await routes.ResolveAsync(scope.Space, new RouteRequest(domain, host, path), ct);
        if (error is not null) return error.ToResult();
        var (_, refused) = await routes.UnmapAsync(scope.Space, app, target!, user.UserName(), ct);
        return refused is not null ? refused.ToResult() : Results.Ok(await Mapping.ToResponseAsync(db, app, ct));
    }
}
