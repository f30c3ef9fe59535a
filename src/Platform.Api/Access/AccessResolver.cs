using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Platform.Api.Auth;
using Platform.Contracts;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Access;

/// <summary>A space as the caller may reach it: the space, its org, and the caller's roles there (org roles included).</summary>
public sealed record SpaceAccess(SpaceEntity Space, OrgEntity Org, IReadOnlyList<string> Roles, bool IsAdmin)
{
    public bool Allows(SpaceAction action) => IsAdmin || Permissions.Allows(Roles, action);
}

/// <summary>An org as the caller may reach it, and the caller's roles in it (space roles in its spaces included).</summary>
public sealed record OrgAccess(OrgEntity Org, IReadOnlyList<string> Roles, bool IsAdmin)
{
    public bool Allows(OrgAction action) => IsAdmin || Permissions.Allows(Roles, action);
}

/// <summary>
/// Works out what the caller may reach. A space (or org) the caller has no role in is not reachable at all (null, which
/// the API answers with 404, so existence is not leaked); a token narrowed to one space reaches only that space and,
/// to read, its org.
/// </summary>
public sealed class AccessResolver(PlatformDbContext db)
{
    public async Task<SpaceAccess?> SpaceAsync(ClaimsPrincipal user, Guid spaceId, CancellationToken ct)
    {
        if (user.TokenSpace() is { } only && only != spaceId) return null;
        var found = await (
            from s in db.Spaces.AsNoTracking()
            join o in db.Orgs.AsNoTracking() on s.OrgId equals o.Id
            where s.Id == spaceId
            select new { Space = s, Org = o }).FirstOrDefaultAsync(ct);
        if (found is null) return null;
        var userId = user.UserId();
        var roles = await db.RoleAssignments.AsNoTracking()
            .Where(r => r.UserId == userId && (r.SpaceId == spaceId || (r.SpaceId == null && r.OrgId == found.Org.Id)))
            .Select(r => r.Role).ToListAsync(ct);
        var admin = user.IsAdmin();
        // Org users and org auditors have no business in a space they hold no role in: it does not exist for them.
        if (!admin && !Permissions.Allows(roles, SpaceAction.Read)) return null;
        return new SpaceAccess(found.Space, found.Org, roles.Distinct().Order(StringComparer.Ordinal).ToList(), admin);
    }

    public async Task<OrgAccess?> OrgAsync(ClaimsPrincipal user, Guid orgId, CancellationToken ct)
    {
        var org = await db.Orgs.AsNoTracking().FirstOrDefaultAsync(o => o.Id == orgId, ct);
        if (org is null) return null;
        if (user.TokenSpace() is { } only)
        {
            var spaceOrg = await db.Spaces.Where(s => s.Id == only).Select(s => (Guid?)s.OrgId).FirstOrDefaultAsync(ct);
            if (spaceOrg != orgId) return null;
        }
        var userId = user.UserId();
        var roles = await db.RoleAssignments.AsNoTracking()
            .Where(r => r.UserId == userId && r.OrgId == orgId)
            .Select(r => r.Role).Distinct().ToListAsync(ct);
        var admin = user.IsAdmin();
        if (!admin && roles.Count == 0) return null;
        return new OrgAccess(org, roles.Order(StringComparer.Ordinal).ToList(), admin);
    }

    /// <summary>The ids of every space the caller may read (null: every space, for an admin with an unnarrowed token).</summary>
    public async Task<List<Guid>?> ReadableSpacesAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        var only = user.TokenSpace();
        if (user.IsAdmin()) return only is { } s ? [s] : null;
        var userId = user.UserId();
        var readers = Permissions.RolesFor(SpaceAction.Read).ToList();
        var direct = db.RoleAssignments.Where(r => r.UserId == userId && r.SpaceId != null && readers.Contains(r.Role))
            .Select(r => r.SpaceId!.Value);
        var managedOrgs = db.RoleAssignments.Where(r => r.UserId == userId && r.SpaceId == null && r.Role == Tenancy.OrgRoles.Manager)
            .Select(r => r.OrgId);
        var viaOrg = db.Spaces.Where(s => managedOrgs.Contains(s.OrgId)).Select(s => s.Id);
        var ids = await direct.Union(viaOrg).Distinct().ToListAsync(ct);
        return only is { } narrowed ? ids.Where(i => i == narrowed).ToList() : ids;
    }

    /// <summary>The ids of every org the caller may see (null: every org, for an admin with an unnarrowed token).</summary>
    public async Task<List<Guid>?> ReadableOrgsAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        var only = user.TokenSpace();
        if (only is { } s)
        {
            var org = await db.Spaces.Where(x => x.Id == s).Select(x => x.OrgId).ToListAsync(ct);
            if (user.IsAdmin()) return org;
            var userId0 = user.UserId();
            return await db.RoleAssignments.AnyAsync(r => r.UserId == userId0 && org.Contains(r.OrgId), ct) ? org : [];
        }
        if (user.IsAdmin()) return null;
        var userId = user.UserId();
        return await db.RoleAssignments.Where(r => r.UserId == userId).Select(r => r.OrgId).Distinct().ToListAsync(ct);
    }
}
