using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts.Api;
using Platform.Api.Infrastructure;
using Platform.Api.Access;
using Platform.Contracts;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Api.OpenApi;

namespace Platform.Api.Endpoints;

/// <summary>
/// Audit events, newest first: one app's, one space's, or every event the caller may read (GET /v1/events): those of
/// the spaces they may see, of the orgs they manage or audit, and, for admins, the platform's own (users, logins).
/// </summary>
public static class EventsEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static RouteGroupBuilder MapEventsEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/events", AllAsync).AnyUser().Produces<List<EventResponse>>().Problems(StatusCodes.Status400BadRequest);
        return v1;
    }

    public static RouteGroupBuilder MapSpaceEventsEndpoints(this RouteGroupBuilder space)
    {
        space.MapGet("/events", ForSpaceAsync).InSpace(SpaceAction.Read).Produces<List<EventResponse>>().Problems(StatusCodes.Status400BadRequest);
        space.MapGet("/apps/{name}/events", ForAppAsync).InSpace(SpaceAction.Read).Produces<List<EventResponse>>().Problems(StatusCodes.Status400BadRequest);
        return space;
    }

    private static async Task<IResult> ForAppAsync(string name, int? limit, RequestScope scope, PlatformDbContext db, CancellationToken ct)
    {
        if (BadLimit(limit) is { } bad) return bad;
        var appId = await Apps.IdAsync(db, scope, name, ct);
        if (appId is null) return ApiProblems.AppNotFound(name);
        return await PageAsync(db.Events.Where(e => e.AppId == appId), limit, ct);
    }

    private static async Task<IResult> ForSpaceAsync(int? limit, RequestScope scope, PlatformDbContext db, CancellationToken ct)
    {
        if (BadLimit(limit) is { } bad) return bad;
        var spaceId = scope.Space.Space.Id;
        return await PageAsync(db.Events.Where(e => e.SpaceId == spaceId), limit, ct);
    }

    private static async Task<IResult> AllAsync(int? limit, ClaimsPrincipal user, AccessResolver access, PlatformDbContext db, CancellationToken ct)
    {
        if (BadLimit(limit) is { } bad) return bad;
        var spaces = await access.ReadableSpacesAsync(user, ct);
        if (spaces is null) return await PageAsync(db.Events, limit, ct); // an admin: everything
        // Org events (spaces made, roles given) are for the org's managers and auditors; a token narrowed to a space
        // reads that space's events only.
        var userId = Auth.Caller.UserId(user);
        var orgs = Auth.Caller.TokenSpace(user) is not null ? [] : await db.RoleAssignments
            .Where(r => r.UserId == userId && r.SpaceId == null && (r.Role == Tenancy.OrgRoles.Manager || r.Role == Tenancy.OrgRoles.Auditor))
            .Select(r => r.OrgId).ToListAsync(ct);
        var visible = db.Events.Where(e => (e.SpaceId != null && spaces.Contains(e.SpaceId.Value))
                                           || (e.SpaceId == null && e.OrgId != null && orgs.Contains(e.OrgId.Value)));
        return await PageAsync(visible, limit, ct);
    }

    private static IResult? BadLimit(int? limit) =>
        limit is < 1 or > MaxLimit ? ApiProblems.BadRequest($"limit must be between 1 and {MaxLimit}, not {limit}") : null;

    private static async Task<IResult> PageAsync(IQueryable<EventEntity> events, int? limit, CancellationToken ct)
    {
        var page = await events.AsNoTracking().OrderByDescending(e => e.Timestamp).Take(limit ?? DefaultLimit).ToListAsync(ct);
        return Results.Ok(page.Select(Mapping.ToResponse).ToList());
    }
}
