using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Api.Access;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Api.OpenApi;

namespace Platform.Api.Endpoints;

/// <summary>
/// /v1/spaces: every space the caller may see (the dashboard's switcher), and /v1/spaces/{space}: the space, its
/// members' roles, its quota and whether exec is allowed in it. Apps and what belongs to them hang below it.
/// </summary>
public static class SpacesEndpoints
{
    public static RouteGroupBuilder MapSpacesListEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/spaces", ListAsync).AnyUser().Produces<List<SpaceResponse>>();
        return v1;
    }

    public static RouteGroupBuilder MapSpaceEndpoints(this RouteGroupBuilder space)
    {
        space.MapGet("", ShowAsync).InSpace(SpaceAction.Read).Produces<SpaceResponse>();
        space.MapGet("/users", MembersAsync).InSpace(SpaceAction.Read).Produces<List<MemberResponse>>();
        space.MapPut("/users/{username}/roles/{role}", SetRoleAsync).InSpace(SpaceAction.Manage).RoleChange();
        space.MapDelete("/users/{username}/roles/{role}", UnsetRoleAsync).InSpace(SpaceAction.Manage).RoleChange();
        space.MapPut("/quota", AssignQuotaAsync).InSpace(SpaceAction.ManageQuota).JsonBody<AssignQuotaRequest>().Produces<SpaceResponse>();
        space.MapPut("/features/ssh", SetSshAsync).InSpace(SpaceAction.Manage).JsonBody<FeatureRequest>().Produces<FeatureResponse>();
        return space;
    }

    private static async Task<IResult> ListAsync(Guid? org, ClaimsPrincipal user, AccessResolver access, PlatformDbContext db, CancellationToken ct)
    {
        var visible = await access.ReadableSpacesAsync(user, ct);
        var spaces = db.Spaces.AsNoTracking();
        if (visible is not null) spaces = spaces.Where(s => visible.Contains(s.Id));
        if (org is { } orgId) spaces = spaces.Where(s => s.OrgId == orgId);
        var result = new List<SpaceResponse>();
        foreach (var id in await spaces.OrderBy(s => s.Name).Select(s => s.Id).ToListAsync(ct))
            if (await access.SpaceAsync(user, id, ct) is { } reach) result.Add(await ResponseAsync(db, reach, ct));
        return Results.Ok(result.OrderBy(s => s.OrgName, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList());
    }

    internal static async Task<SpaceResponse> ResponseAsync(PlatformDbContext db, SpaceAccess access, CancellationToken ct)
    {
        var space = access.Space;
        var quota = space.QuotaId is { } q ? await db.Quotas.Where(x => x.Id == q).Select(x => x.Name).FirstOrDefaultAsync(ct) : null;
        return new SpaceResponse(space.Id, space.Name, access.Org.Id, access.Org.Name, quota, space.AllowSsh,
            access.Roles, Permissions.ActionsOf(access.Roles, access.IsAdmin), space.CreatedAt);
    }

    private static async Task<IResult> ShowAsync(RequestScope scope, PlatformDbContext db, CancellationToken ct) =>
        Results.Ok(await ResponseAsync(db, scope.Space, ct));

    private static async Task<IResult> MembersAsync(RequestScope scope, RoleAssignments roles, CancellationToken ct) =>
        Results.Ok(await roles.SpaceMembersAsync(scope.Space.Space.Id, ct));

    private static async Task<IResult> SetRoleAsync(string username, string role, ClaimsPrincipal user, RequestScope scope, RoleAssignments roles, CancellationToken ct) =>
        OrgsEndpoints.RoleResult(await roles.SetSpaceRoleAsync(scope.Space.Space, scope.Space.Org, username, role, user.UserName(), ct));

    private static async Task<IResult> UnsetRoleAsync(string username, string role, ClaimsPrincipal user, RequestScope scope, RoleAssignments roles, CancellationToken ct) =>
        OrgsEndpoints.RoleResult(await roles.UnsetSpaceRoleAsync(scope.Space.Space, scope.Space.Org, username, role, user.UserName(), ct));

    /// <summary>PUT /v1/spaces/{space}/quota {"quota": NAME|null}: plat set-space-quota, with a space quota of the space's org.</summary>
    private static async Task<IResult> AssignQuotaAsync(HttpRequest request, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<AssignQuotaRequest>(request, ct);
        if (problem is not null) return problem;
        var access = scope.Space;
        Guid? quotaId = null;
        if (body!.Quota is { } name)
        {
            var orgId = access.Org.Id;
            quotaId = await db.Quotas.Where(q => q.OwnerOrgId == orgId && q.Name == name).Select(q => (Guid?)q.Id).FirstOrDefaultAsync(ct);
            if (quotaId is null)
                return ApiProblems.NotFound("Quota not found", $"org {access.Org.Name} has no space quota '{name}' (plat space-quotas lists them)");
        }
        var space = await db.Spaces.FirstAsync(s => s.Id == access.Space.Id, ct);
        space.QuotaId = quotaId;
        db.AddEvent(Data.EventSubject.Space(space.Id, space.OrgId), "space.quota", user.UserName(), $"quota {body.Quota ?? "none"}", time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        return Results.Ok(await ResponseAsync(db, access with { Space = space }, ct));
    }

    /// <summary>PUT /v1/spaces/{space}/features/ssh {"enabled": bool}: plat allow-space-ssh / disallow-space-ssh.</summary>
    private static async Task<IResult> SetSshAsync(HttpRequest request, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<FeatureRequest>(request, ct);
        if (problem is not null) return problem;
        var space = await db.Spaces.FirstAsync(s => s.Id == scope.Space.Space.Id, ct);
        if (space.AllowSsh != body!.Enabled)
        {
            space.AllowSsh = body.Enabled;
            db.AddEvent(Data.EventSubject.Space(space.Id, space.OrgId), "space.ssh", user.UserName(), body.Enabled ? "exec allowed" : "exec disallowed", time.GetUtcNow());
            await db.SaveChangesAsync(ct);
        }
        return Results.Ok(new FeatureResponse("ssh", space.AllowSsh));
    }
}
