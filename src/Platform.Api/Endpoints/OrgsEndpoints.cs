using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Api.Access;
using Platform.Contracts;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Api.OpenApi;

namespace Platform.Api.Endpoints;

/// <summary>
/// /v1/orgs: the orgs the caller sees (admins create them), and per org its spaces, its members' org roles, its space
/// quota definitions and its quota. Orgs and spaces are addressed by id; `?name=` finds one by name.
/// </summary>
public static class OrgsEndpoints
{
    public static RouteGroupBuilder MapOrgsEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/orgs", ListAsync).AnyUser().Produces<List<OrgResponse>>();
        v1.MapPost("/orgs", CreateAsync).AdminOnly().JsonBody<NameRequest>().Produces<OrgResponse>(StatusCodes.Status201Created).Problems(StatusCodes.Status409Conflict);
        v1.MapGet("/orgs/{org}", Show).InOrg(OrgAction.Read).Produces<OrgResponse>();
        v1.MapPut("/orgs/{org}/quota", AssignQuotaAsync).AdminOnly().JsonBody<AssignQuotaRequest>().Produces<OrgResponse>().Problems(StatusCodes.Status404NotFound);
        v1.MapGet("/orgs/{org}/spaces", SpacesAsync).InOrg(OrgAction.Read).Produces<List<SpaceResponse>>();
        v1.MapPost("/orgs/{org}/spaces", CreateSpaceAsync).InOrg(OrgAction.Manage).JsonBody<NameRequest>().Produces<SpaceResponse>(StatusCodes.Status201Created).Problems(StatusCodes.Status409Conflict);
        v1.MapGet("/orgs/{org}/users", MembersAsync).InOrg(OrgAction.Read).Produces<List<MemberResponse>>();
        v1.MapPut("/orgs/{org}/users/{username}/roles/{role}", SetRoleAsync).InOrg(OrgAction.Manage).RoleChange();
        v1.MapDelete("/orgs/{org}/users/{username}/roles/{role}", UnsetRoleAsync).InOrg(OrgAction.Manage).RoleChange();
        v1.MapGet("/orgs/{org}/space-quotas", SpaceQuotasAsync).InOrg(OrgAction.Read).Produces<List<QuotaResponse>>();
        v1.MapPost("/orgs/{org}/space-quotas", CreateSpaceQuotaAsync).InOrg(OrgAction.Manage).JsonBody<QuotaRequest>().Produces<QuotaResponse>(StatusCodes.Status201Created).Problems(StatusCodes.Status409Conflict);
        return v1;
    }

    private static async Task<IResult> ListAsync(string? name, ClaimsPrincipal user, AccessResolver access, PlatformDbContext db, CancellationToken ct)
    {
        var visible = await access.ReadableOrgsAsync(user, ct);
        var orgs = db.Orgs.AsNoTracking();
        if (visible is not null) orgs = orgs.Where(o => visible.Contains(o.Id));
        if (name is not null) orgs = orgs.Where(o => o.Name == name);
        return Results.Ok(await ResponsesAsync(db, await orgs.OrderBy(o => o.Name).ToListAsync(ct), ct));
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, ClaimsPrincipal user, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<NameRequest>(request, ct);
        if (problem is not null) return problem;
        if (Tenancy.CheckName("org", body!.Name) is { } bad) return ApiProblems.BadRequest(bad);
        if (await db.Orgs.AnyAsync(o => o.Name == body.Name, ct)) return ApiProblems.Conflict($"the org '{body.Name}' exists already");
        var now = time.GetUtcNow();
        var org = new OrgEntity { Id = Guid.NewGuid(), Name = body.Name!, CreatedAt = now };
        db.Orgs.Add(org);
        db.AddEvent(EventSubject.Org(org.Id), "org.create", user.UserName(), $"org {org.Name}", now);
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { return ApiProblems.Conflict($"the org '{body.Name}' exists already"); }
        return Results.Created($"/v1/orgs/{org.Id}", new OrgResponse(org.Id, org.Name, null, org.CreatedAt));
    }

    private static async Task<IResult> Show(RequestScope scope, PlatformDbContext db, CancellationToken ct) =>
        Results.Ok((await ResponsesAsync(db, [scope.Org.Org], ct))[0]);

    /// <summary>PUT /v1/orgs/{org}/quota {"quota": NAME|null}: plat set-org-quota (admins).</summary>
    private static async Task<IResult> AssignQuotaAsync(string org, HttpRequest request, ClaimsPrincipal user, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var entity = Guid.TryParse(org, out var orgId) ? await db.Orgs.FirstOrDefaultAsync(o => o.Id == orgId, ct) : null;
        if (entity is null) return ApiProblems.NotFound("Org not found", $"org '{org}' not found");
        var (body, problem) = await JsonBody.ReadAsync<AssignQuotaRequest>(request, ct);
        if (problem is not null) return problem;
        Guid? quotaId = null;
        if (body!.Quota is { } name)
        {
            quotaId = await db.Quotas.Where(q => q.OwnerOrgId == null && q.Name == name).Select(q => (Guid?)q.Id).FirstOrDefaultAsync(ct);
            if (quotaId is null) return ApiProblems.NotFound("Quota not found", $"org quota '{name}' not found (plat org-quotas lists them)");
        }
        entity.QuotaId = quotaId;
        db.AddEvent(EventSubject.Org(entity.Id), "org.quota", user.UserName(), $"quota {body.Quota ?? "none"}", time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        return Results.Ok((await ResponsesAsync(db, [entity], ct))[0]);
    }

    private static async Task<IResult> SpacesAsync(string? name, ClaimsPrincipal user, RequestScope scope, AccessResolver access,
        PlatformDbContext db, CancellationToken ct)
    {
        var org = scope.Org;
        var spaces = db.Spaces.AsNoTracking().Where(s => s.OrgId == org.Org.Id);
        if (name is not null) spaces = spaces.Where(s => s.Name == name);
        var all = await spaces.OrderBy(s => s.Name).ToListAsync(ct);
        var result = new List<SpaceResponse>();
        foreach (var space in all)
        {
            // Org managers and auditors see every space of the org by name; others only those they have a role in.
            if (await access.SpaceAsync(user, space.Id, ct) is { } reach) result.Add(await SpacesEndpoints.ResponseAsync(db, reach, ct));
            else if (org.IsAdmin || org.Roles.Contains(Tenancy.OrgRoles.Auditor))
                result.Add(new SpaceResponse(space.Id, space.Name, org.Org.Id, org.Org.Name, null, space.AllowSsh, [], [], space.CreatedAt));
        }
        return Results.Ok(result);
    }

    private static async Task<IResult> CreateSpaceAsync(HttpRequest request, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db,
        RoleAssignments roles, AccessResolver access, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<NameRequest>(request, ct);
        if (problem is not null) return problem;
        if (Tenancy.CheckName("space", body!.Name) is { } bad) return ApiProblems.BadRequest(bad);
        var org = scope.Org.Org;
        if (await db.Spaces.AnyAsync(s => s.OrgId == org.Id && s.Name == body.Name, ct))
            return ApiProblems.Conflict($"the org {org.Name} has a space '{body.Name}' already");
        var now = time.GetUtcNow();
        var space = new SpaceEntity { Id = Guid.NewGuid(), OrgId = org.Id, Name = body.Name!, CreatedAt = now };
        db.Spaces.Add(space);
        if (!user.IsAdmin()) roles.GrantCreator(user.UserId(), space);
        db.AddEvent(EventSubject.Space(space.Id, org.Id), "space.create", user.UserName(), $"space {org.Name}/{space.Name}", now);
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { return ApiProblems.Conflict($"the org {org.Name} has a space '{body.Name}' already"); }
        var reach = await access.SpaceAsync(user, space.Id, ct);
        return Results.Created($"/v1/spaces/{space.Id}", reach is null
            ? new SpaceResponse(space.Id, space.Name, org.Id, org.Name, null, space.AllowSsh, [], [], now)
            : await SpacesEndpoints.ResponseAsync(db, reach, ct));
    }

    private static async Task<IResult> MembersAsync(RequestScope scope, RoleAssignments roles, CancellationToken ct) =>
        Results.Ok(await roles.OrgMembersAsync(scope.Org.Org.Id, ct));

    private static async Task<IResult> SetRoleAsync(string username, string role, ClaimsPrincipal user, RequestScope scope, RoleAssignments roles, CancellationToken ct) =>
        RoleResult(await roles.SetOrgRoleAsync(scope.Org.Org, username, role, user.UserName(), ct));

    private static async Task<IResult> UnsetRoleAsync(string username, string role, ClaimsPrincipal user, RequestScope scope, RoleAssignments roles, CancellationToken ct) =>
        RoleResult(await roles.UnsetOrgRoleAsync(scope.Org.Org, username, role, user.UserName(), ct));

    /// <summary>What <see cref="RoleResult"/> answers, for the OpenAPI document.</summary>
    internal static RouteHandlerBuilder RoleChange(this RouteHandlerBuilder endpoint) =>
        endpoint.Produces(StatusCodes.Status204NoContent)
            .Problems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status422UnprocessableEntity);

    internal static IResult RoleResult(RoleAssignments.Outcome outcome) => outcome switch
    {
        { Error: { } e, NotFound: true } => ApiProblems.NotFound("Not found", e),
        { Error: { } e, BadInput: true } => ApiProblems.BadRequest(e),
        { Error: { } e } => ApiProblems.Unprocessable("Role not changed", e),
        _ => Results.NoContent(),
    };

    private static async Task<IResult> SpaceQuotasAsync(RequestScope scope, PlatformDbContext db, CancellationToken ct)
    {
        var orgId = scope.Org.Org.Id;
        var quotas = await db.Quotas.AsNoTracking().Where(q => q.OwnerOrgId == orgId).OrderBy(q => q.Name).ToListAsync(ct);
        return Results.Ok(quotas.Select(QuotasEndpoints.ToResponse).ToList());
    }

    private static Task<IResult> CreateSpaceQuotaAsync(HttpRequest request, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db, TimeProvider time, CancellationToken ct) =>
        QuotasEndpoints.CreateAsync(request, user, scope.Org.Org.Id, db, time, ct);

    private static async Task<List<OrgResponse>> ResponsesAsync(PlatformDbContext db, List<OrgEntity> orgs, CancellationToken ct)
    {
        var quotaIds = orgs.Where(o => o.QuotaId != null).Select(o => o.QuotaId!.Value).ToList();
        var names = await db.Quotas.Where(q => quotaIds.Contains(q.Id)).ToDictionaryAsync(q => q.Id, q => q.Name, ct);
        return orgs.Select(o => new OrgResponse(o.Id, o.Name, o.QuotaId is { } q ? names.GetValueOrDefault(q) : null, o.CreatedAt)).ToList();
    }
}
