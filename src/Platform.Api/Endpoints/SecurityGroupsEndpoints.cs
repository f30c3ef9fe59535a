using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Access;
using Platform.Api.Auth;
using Platform.Api.Infrastructure;
using Platform.Api.OpenApi;
using Platform.Contracts;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Endpoints;

/// <summary>
/// Application security groups, as Cloud Foundry's: admins define groups of egress allow rules (/v1/security-groups),
/// bind them to spaces or make them running defaults for the whole platform; org managers may bind to the spaces of
/// their org the groups they see (running defaults, or groups bound to a space of their org already); space members
/// see the groups their space gets (/v1/spaces/{space}/security-groups). The scheduler puts the rules into each
/// StartInstance: a change applies to instances started after it (restart an app to apply it, as in CF).
/// </summary>
public static class SecurityGroupsEndpoints
{
    /// <summary>Largest body of a group: 256 rules with long descriptions fit.</summary>
    private const int MaxBodyBytes = 1024 * 1024;

    public static RouteGroupBuilder MapSecurityGroupsEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/security-groups", ListAsync).AdminOnly().Produces<List<SecurityGroupResponse>>();
        v1.MapPost("/security-groups", CreateAsync).AdminOnly()
            .JsonBody<SecurityGroupRequest>().Produces<SecurityGroupResponse>(StatusCodes.Status201Created).Problems(StatusCodes.Status409Conflict);
        v1.MapGet("/security-groups/{name}", ShowAsync).AdminOnly().Produces<SecurityGroupResponse>().Problems(StatusCodes.Status404NotFound);
        v1.MapPut("/security-groups/{name}", UpdateAsync).AdminOnly()
            .JsonBody<SecurityGroupRequest>().Produces<SecurityGroupResponse>().Problems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        v1.MapDelete("/security-groups/{name}", DeleteAsync).AdminOnly().Produces(StatusCodes.Status204NoContent).Problems(StatusCodes.Status404NotFound);
        v1.MapPut("/security-groups/{name}/running", (string name, ClaimsPrincipal user, PlatformDbContext db, TimeProvider time, CancellationToken ct) =>
            SetRunningDefaultAsync(name, true, user, db, time, ct)).AdminOnly()
            .Produces<SecurityGroupResponse>().Problems(StatusCodes.Status404NotFound);
        v1.MapDelete("/security-groups/{name}/running", (string name, ClaimsPrincipal user, PlatformDbContext db, TimeProvider time, CancellationToken ct) =>
            SetRunningDefaultAsync(name, false, user, db, time, ct)).AdminOnly()
            .Produces<SecurityGroupResponse>().Problems(StatusCodes.Status404NotFound);
        v1.MapPut("/security-groups/{name}/spaces/{space}", BindAsync).InSpace(SpaceAction.BindSecurityGroups)
            .Produces(StatusCodes.Status204NoContent).Problems(StatusCodes.Status404NotFound);
        v1.MapDelete("/security-groups/{name}/spaces/{space}", UnbindAsync).InSpace(SpaceAction.BindSecurityGroups)
            .Produces(StatusCodes.Status204NoContent).Problems(StatusCodes.Status404NotFound);
        v1.MapGet("/spaces/{space}/security-groups", SpaceGroupsAsync).InSpace(SpaceAction.Read).Produces<List<SpaceSecurityGroupResponse>>();
        return v1;
    }

    private static IResult GroupNotFound(string name) => ApiProblems.NotFound("Security group not found", $"security group '{name}' not found");

    private static async Task<IResult> ListAsync(PlatformDbContext db, CancellationToken ct)
    {
        var groups = await db.SecurityGroups.AsNoTracking().OrderBy(g => g.Name).ToListAsync(ct);
        var spaces = await SpacesOfAsync(db, groups.Select(g => g.Id).ToList(), ct);
        return Results.Ok(groups.Select(g => ToResponse(g, spaces.GetValueOrDefault(g.Id) ?? [])).ToList());
    }

    private static async Task<IResult> ShowAsync(string name, PlatformDbContext db, CancellationToken ct)
    {
        if (await db.SecurityGroups.AsNoTracking().FirstOrDefaultAsync(g => g.Name == name, ct) is not { } group) return GroupNotFound(name);
        var spaces = await SpacesOfAsync(db, [group.Id], ct);
        return Results.Ok(ToResponse(group, spaces.GetValueOrDefault(group.Id) ?? []));
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, ClaimsPrincipal user, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<SecurityGroupRequest>(request, MaxBodyBytes, ct);
        if (problem is not null) return problem;
        if (SecurityGroups.CheckName(body!.Name) is { } badName) return ApiProblems.BadRequest(badName);
        if (SecurityGroups.CheckRules(body.Rules) is { } badRules) return ApiProblems.BadRequest(badRules);
        if (await db.SecurityGroups.AnyAsync(g => g.Name == body.Name, ct)) return Duplicate(body.Name!);
        var now = time.GetUtcNow();
        var group = new SecurityGroupEntity { Id = Guid.NewGuid(), Name = body.Name!, Rules = Normalize(body.Rules!), CreatedAt = now, UpdatedAt = now };
        db.SecurityGroups.Add(group);
        db.AddEvent(EventSubject.Platform, "security-group.create", user.UserName(), $"security group {group.Name} with {group.Rules.Count} rule(s)", now);
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { return Duplicate(group.Name); }
        return Results.Created($"/v1/security-groups/{group.Name}", ToResponse(group, []));
    }

    /// <summary>Replaces the rules (plat update-security-group), and renames when the body names the group anew.</summary>
    private static async Task<IResult> UpdateAsync(string name, HttpRequest request, ClaimsPrincipal user, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        if (await db.SecurityGroups.FirstOrDefaultAsync(g => g.Name == name, ct) is not { } group) return GroupNotFound(name);
        var (body, problem) = await JsonBody.ReadAsync<SecurityGroupRequest>(request, MaxBodyBytes, ct);
        if (problem is not null) return problem;
        var newName = body!.Name ?? group.Name;
        if (SecurityGroups.CheckName(newName) is { } badName) return ApiProblems.BadRequest(badName);
        if (SecurityGroups.CheckRules(body.Rules) is { } badRules) return ApiProblems.BadRequest(badRules);
        if (newName != group.Name && await db.SecurityGroups.AnyAsync(g => g.Name == newName, ct)) return Duplicate(newName);
        var now = time.GetUtcNow();
        group.Name = newName;
        group.Rules = Normalize(body.Rules!);
        group.UpdatedAt = now;
        db.AddEvent(EventSubject.Platform, "security-group.update", user.UserName(),
            $"security group {name}{(newName != name ? $" (now {newName})" : "")} has {group.Rules.Count} rule(s); instances started from now on get them", now);
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { return Duplicate(newName); }
        var spaces = await SpacesOfAsync(db, [group.Id], ct);
        return Results.Ok(ToResponse(group, spaces.GetValueOrDefault(group.Id) ?? []));
    }

    /// <summary>Deletes the group and its bindings (as cf delete-security-group does).</summary>
    private static async Task<IResult> DeleteAsync(string name, ClaimsPrincipal user, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        if (await db.SecurityGroups.FirstOrDefaultAsync(g => g.Name == name, ct) is not { } group) return GroupNotFound(name);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var unbound = await db.SecurityGroupSpaces.Where(b => b.SecurityGroupId == group.Id).ExecuteDeleteAsync(ct);
        db.SecurityGroups.Remove(group);
        db.AddEvent(EventSubject.Platform, "security-group.delete", user.UserName(), $"security group {name}, unbound from {unbound} space(s)", time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return Results.NoContent();
    }

    private static async Task<IResult> SetRunningDefaultAsync(string name, bool running, ClaimsPrincipal user, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        if (await db.SecurityGroups.FirstOrDefaultAsync(g => g.Name == name, ct) is not { } group) return GroupNotFound(name);
        if (group.RunningDefault != running)
        {
            var now = time.GetUtcNow();
            group.RunningDefault = running;
            group.UpdatedAt = now;
            db.AddEvent(EventSubject.Platform, running ? "security-group.bind-running" : "security-group.unbind-running", user.UserName(),
                $"security group {name} {(running ? "is now" : "is no longer")} a running default", now);
            await db.SaveChangesAsync(ct);
        }
        var spaces = await SpacesOfAsync(db, [group.Id], ct);
        return Results.Ok(ToResponse(group, spaces.GetValueOrDefault(group.Id) ?? []));
    }

    private static async Task<IResult> BindAsync(string name, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var access = scope.Space;
        if (await VisibleGroupAsync(db, name, access, ct) is not { } group) return GroupNotFound(name);
        if (!await db.SecurityGroupSpaces.AnyAsync(b => b.SecurityGroupId == group.Id && b.SpaceId == access.Space.Id, ct))
        {
            var now = time.GetUtcNow();
            db.SecurityGroupSpaces.Add(new SecurityGroupSpaceEntity { SecurityGroupId = group.Id, SpaceId = access.Space.Id, CreatedAt = now });
            db.AddEvent(EventSubject.Space(access.Space.Id, access.Org.Id), "security-group.bind", user.UserName(),
                $"security group {name} bound to space {access.Org.Name}/{access.Space.Name}; restart its apps to apply", now);
            try { await db.SaveChangesAsync(ct); }
            catch (DbUpdateException) { } // bound at the same moment by another call: the binding is there, as asked
        }
        return Results.NoContent();
    }

    private static async Task<IResult> UnbindAsync(string name, ClaimsPrincipal user, RequestScope scope, PlatformDbContext db, TimeProvider time, CancellationToken ct)
    {
        var access = scope.Space;
        if (await VisibleGroupAsync(db, name, access, ct) is not { } group) return GroupNotFound(name);
        var binding = await db.SecurityGroupSpaces.FirstOrDefaultAsync(b => b.SecurityGroupId == group.Id && b.SpaceId == access.Space.Id, ct);
        if (binding is null)
            return ApiProblems.NotFound("Security group not bound", $"security group '{name}' is not bound to space {access.Org.Name}/{access.Space.Name}");
        db.SecurityGroupSpaces.Remove(binding);
        db.AddEvent(EventSubject.Space(access.Space.Id, access.Org.Id), "security-group.unbind", user.UserName(),
            $"security group {name} unbound from space {access.Org.Name}/{access.Space.Name}; restart its apps to apply", time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        return Results.NoContent();
    }

    /// <summary>The groups whose rules the space's instances get: those bound to it and the running defaults.</summary>
    private static async Task<IResult> SpaceGroupsAsync(RequestScope scope, PlatformDbContext db, CancellationToken ct)
    {
        var spaceId = scope.Space.Space.Id;
        var bound = db.SecurityGroupSpaces.Where(b => b.SpaceId == spaceId).Select(b => b.SecurityGroupId);
        var groups = await db.SecurityGroups.AsNoTracking()
            .Where(g => g.RunningDefault || bound.Contains(g.Id))
            .Select(g => new { Group = g, Bound = bound.Contains(g.Id) })
            .ToListAsync(ct);
        return Results.Ok(groups.OrderBy(g => g.Group.Name, StringComparer.Ordinal)
            .Select(g => new SpaceSecurityGroupResponse(g.Group.Name, g.Group.Rules, g.Bound, g.Group.RunningDefault)).ToList());
    }

    /// <summary>
    /// The group named, if the caller may bind it to (or unbind it from) the space: admins every group; an org manager
    /// those visible to them, as in CF: running defaults and groups bound to a space of this org already. A group
    /// made for another org's spaces is not found, so its existence and rules are not leaked.
    /// </summary>
    private static async Task<SecurityGroupEntity?> VisibleGroupAsync(PlatformDbContext db, string name, SpaceAccess access, CancellationToken ct)
    {
        var found = await db.SecurityGroups.AsNoTracking().FirstOrDefaultAsync(g => g.Name == name, ct);
        if (found is null || access.IsAdmin || found.RunningDefault) return found;
        var orgId = access.Org.Id;
        var boundInOrg = await (
            from b in db.SecurityGroupSpaces
            join s in db.Spaces on b.SpaceId equals s.Id
            where b.SecurityGroupId == found.Id && s.OrgId == orgId
            select b).AnyAsync(ct);
        return boundInOrg ? found : null;
    }

    /// <summary>The rules as stored: checked already, so none is null; a blank description is none.</summary>
    private static List<SecurityGroupRule> Normalize(IEnumerable<SecurityGroupRule?> rules) =>
        rules.Select(r => string.IsNullOrWhiteSpace(r!.Description) ? r with { Description = null } : r).ToList();

    private static IResult Duplicate(string name) => ApiProblems.Conflict($"a security group named '{name}' exists already");

    private static async Task<Dictionary<Guid, List<SecurityGroupSpaceResponse>>> SpacesOfAsync(PlatformDbContext db, List<Guid> groupIds, CancellationToken ct)
    {
        var rows = await (
            from b in db.SecurityGroupSpaces.AsNoTracking()
            where groupIds.Contains(b.SecurityGroupId)
            join s in db.Spaces.AsNoTracking() on b.SpaceId equals s.Id
            join o in db.Orgs.AsNoTracking() on s.OrgId equals o.Id
            select new { b.SecurityGroupId, Space = new SecurityGroupSpaceResponse(s.Id, s.Name, o.Id, o.Name) }).ToListAsync(ct);
        return rows.GroupBy(r => r.SecurityGroupId).ToDictionary(
            g => g.Key,
            g => g.Select(r => r.Space).OrderBy(s => s.Org, StringComparer.Ordinal).ThenBy(s => s.Space, StringComparer.Ordinal).ToList());
    }

    private static SecurityGroupResponse ToResponse(SecurityGroupEntity g, List<SecurityGroupSpaceResponse> spaces) =>
        new(g.Id, g.Name, g.Rules, g.RunningDefault, spaces, g.CreatedAt, g.UpdatedAt);
}
