using Microsoft.EntityFrameworkCore;
using Platform.Contracts.Messages;
using Platform.Data;

namespace Platform.Scheduler;

/// <summary>
/// What the instances of a space may reach beyond the cell's defaults: the rules of the security groups bound to the
/// space and of the platform's running defaults, as the <see cref="EgressRule"/>s a StartInstance carries. Read when
/// an instance is started, so a change to the groups applies to instances started after it (as in Cloud Foundry).
/// </summary>
public static class SecurityGroupRules
{
    /// <summary>The egress rules per space (groups in name order, each rule once); a space no group applies to is absent.</summary>
    public static async Task<Dictionary<Guid, List<EgressRule>>> ForSpacesAsync(PlatformDbContext db, IReadOnlyCollection<Guid> spaceIds, CancellationToken ct)
    {
        var defaults = await db.SecurityGroups.AsNoTracking().Where(g => g.RunningDefault).ToListAsync(ct);
        var bound = await (
            from b in db.SecurityGroupSpaces.AsNoTracking()
            where spaceIds.Contains(b.SpaceId)
            join g in db.SecurityGroups.AsNoTracking() on b.SecurityGroupId equals g.Id
            select new { b.SpaceId, Group = g }).ToListAsync(ct);
        var result = new Dictionary<Guid, List<EgressRule>>();
        foreach (var spaceId in spaceIds)
        {
            var groups = defaults.Concat(bound.Where(b => b.SpaceId == spaceId).Select(b => b.Group))
                .DistinctBy(g => g.Id).OrderBy(g => g.Name, StringComparer.Ordinal);
            var rules = groups.SelectMany(g => g.Rules).Select(r => r.ToEgressRule()).Distinct().ToList();
            if (rules.Count > 0) result[spaceId] = rules;
        }
        return result;
    }
}
