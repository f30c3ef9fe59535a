using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Access;

/// <summary>
/// Gives and takes org and space roles (plat set-org-role, set-space-role and their unset- forms), with Cloud Foundry's
/// rule that a space's members belong to its org: a space role makes its user an OrgUser too, and an org role cannot
/// be taken while it is the user's last one in the org and they still hold space roles there.
/// </summary>
public sealed class RoleAssignments(PlatformDbContext db, TimeProvider time)
{
    public sealed record Outcome(bool Changed, string? Error = null, bool NotFound = false, bool BadInput = false);

    public async Task<Outcome> SetOrgRoleAsync(OrgEntity org, string username, string role, string actor, CancellationToken ct)
    {
        if (Tenancy.CanonicalOrgRole(role) is not { } canonical)
            return new(false, $"'{role}' is not an org role: use one of {string.Join(", ", Tenancy.OrgRoles.All)}", BadInput: true);
        if (await UserAsync(username, ct) is not { } user) return new(false, $"user '{username}' not found", NotFound: true);
        if (await HasAsync(user.Id, org.Id, null, canonical, ct)) return new(false);
        Add(user.Id, org.Id, null, canonical);
        db.AddEvent(EventSubject.Org(org.Id), "role.set", actor, $"{username} is {canonical} of org {org.Name}", time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        return new(true);
    }

    public async Task<Outcome> UnsetOrgRoleAsync(OrgEntity org, string username, string role, string actor, CancellationToken ct)
    {
        if (Tenancy.CanonicalOrgRole(role) is not { } canonical)
            return new(false, $"'{role}' is not an org role: use one of {string.Join(", ", Tenancy.OrgRoles.All)}", BadInput: true);
        if (await UserAsync(username, ct) is not { } user) return new(false, $"user '{username}' not found", NotFound: true);
        var row = await db.RoleAssignments.FirstOrDefaultAsync(r => r.UserId == user.Id && r.OrgId == org.Id && r.SpaceId == null && r.Role == canonical, ct);
        if (row is null) return new(false, $"{username} does not have the role {canonical} in org {org.Name}", NotFound: true);
        var otherOrgRoles = await db.RoleAssignments.CountAsync(r => r.UserId == user.Id && r.OrgId == org.Id && r.SpaceId == null && r.Id != row.Id, ct);
        if (otherOrgRoles == 0 && await db.RoleAssignments.AnyAsync(r => r.UserId == user.Id && r.OrgId == org.Id && r.SpaceId != null, ct))
            return new(false, $"{username} still has roles in spaces of org {org.Name}: take those first (plat unset-space-role)");
        db.RoleAssignments.Remove(row);
        db.AddEvent(EventSubject.Org(org.Id), "role.unset", actor, $"{username} is no longer {canonical} of org {org.Name}", time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        return new(true);
    }

    public async Task<Outcome> SetSpaceRoleAsync(SpaceEntity space, OrgEntity org, string username, string role, string actor, CancellationToken ct)
    {
        if (Tenancy.CanonicalSpaceRole(role) is not { } canonical)
            return new(false, $"'{role}' is not a space role: use one of {string.Join(", ", Tenancy.SpaceRoles.All)}", BadInput: true);
        if (await UserAsync(username, ct) is not { } user) return new(false, $"user '{username}' not found", NotFound: true);
        if (await HasAsync(user.Id, org.Id, space.Id, canonical, ct)) return new(false);
        if (!await db.RoleAssignments.AnyAsync(r => r.UserId == user.Id && r.OrgId == org.Id && r.SpaceId == null, ct))
            Add(user.Id, org.Id, null, Tenancy.OrgRoles.User);
        Add(user.Id, org.Id, space.Id, canonical);
        db.AddEvent(EventSubject.Space(space.Id, org.Id), "role.set", actor, $"{username} is {canonical} of space {org.Name}/{space.Name}", time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        return new(true);
    }

    public async Task<Outcome> UnsetSpaceRoleAsync(SpaceEntity space, OrgEntity org, string username, string role, string actor, CancellationToken ct)
    {
        if (Tenancy.CanonicalSpaceRole(role) is not { } canonical)
            return new(false, $"'{role}' is not a space role: use one of {string.Join(", ", Tenancy.SpaceRoles.All)}", BadInput: true);
        if (await UserAsync(username, ct) is not { } user) return new(false, $"user '{username}' not found", NotFound: true);
        var row = await db.RoleAssignments.FirstOrDefaultAsync(r => r.UserId == user.Id && r.SpaceId == space.Id && r.Role == canonical, ct);
        if (row is null) return new(false, $"{username} does not have the role {canonical} in space {org.Name}/{space.Name}", NotFound: true);
        db.RoleAssignments.Remove(row);
        db.AddEvent(EventSubject.Space(space.Id, org.Id), "role.unset", actor, $"{username} is no longer {canonical} of space {org.Name}/{space.Name}", time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        return new(true);
    }

    /// <summary>Gives the creator of a space its manager and developer roles, as cf create-space does.</summary>
    public void GrantCreator(Guid userId, SpaceEntity space)
    {
        Add(userId, space.OrgId, space.Id, Tenancy.SpaceRoles.Manager);
        Add(userId, space.OrgId, space.Id, Tenancy.SpaceRoles.Developer);
    }

    /// <summary>Users with roles in the org itself (not only in its spaces), with those roles.</summary>
    public async Task<List<MemberResponse>> OrgMembersAsync(Guid orgId, CancellationToken ct) =>
        await MembersAsync(db.RoleAssignments.Where(r => r.OrgId == orgId && r.SpaceId == null), ct);

    public async Task<List<MemberResponse>> SpaceMembersAsync(Guid spaceId, CancellationToken ct) =>
        await MembersAsync(db.RoleAssignments.Where(r => r.SpaceId == spaceId), ct);

    private async Task<List<MemberResponse>> MembersAsync(IQueryable<RoleAssignmentEntity> roles, CancellationToken ct)
    {
        var rows = await (from r in roles join u in db.Users on r.UserId equals u.Id select new { u.Name, r.Role }).ToListAsync(ct);
        return rows.GroupBy(r => r.Name).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new MemberResponse(g.Key, g.Select(r => r.Role).Order(StringComparer.Ordinal).ToList())).ToList();
    }

    private Task<UserEntity?> UserAsync(string username, CancellationToken ct) => db.Users.FirstOrDefaultAsync(u => u.Name == username, ct);

    private Task<bool> HasAsync(Guid userId, Guid orgId, Guid? spaceId, string role, CancellationToken ct) =>
        db.RoleAssignments.AnyAsync(r => r.UserId == userId && r.OrgId == orgId && r.SpaceId == spaceId && r.Role == role, ct);

    private void Add(Guid userId, Guid orgId, Guid? spaceId, string role) =>
        db.RoleAssignments.Add(new RoleAssignmentEntity
        {
            Id = Guid.NewGuid(), UserId = userId, OrgId = orgId, SpaceId = spaceId, Role = role, CreatedAt = time.GetUtcNow(),
        });
}
