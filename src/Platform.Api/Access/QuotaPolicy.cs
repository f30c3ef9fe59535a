using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Access;

/// <summary>An app's size and desired state, before or after a change, as quotas count it.</summary>
public readonly record struct AppFootprint(bool Started, int Instances, int MemoryMb)
{
    public static readonly AppFootprint None = new(false, 0, 0);
    public static AppFootprint Of(AppEntity app) => new(app.State == AppStates.Started, app.Instances, app.MemoryMb);
    public int StartedMemoryMb => Started ? Instances * MemoryMb : 0;
    public int StartedInstances => Started ? Instances : 0;
}

/// <summary>
/// Checks a change against the space's quota and its org's quota before anything is written, as Cloud Foundry does:
/// memory and instances of started apps, memory per instance, apps, routes. A refusal names the quota and the numbers
/// (<c>space quota "small": 1024M of memory, 768M in use, 512M asked</c>), for a 422.
/// </summary>
public sealed class QuotaPolicy(PlatformDbContext db)
{
    /// <summary>Null when the app may go from <paramref name="before"/> to <paramref name="after"/>, else why not.</summary>
    /// <param name="before">The app as it is (<see cref="AppFootprint.None"/> for a new app).</param>
    /// <param name="newApp">Whether the change creates an app (counted against the apps limit).</param>
    public async Task<string?> CheckAppAsync(SpaceEntity space, AppFootprint before, AppFootprint after, bool newApp, CancellationToken ct)
    {
        foreach (var (quota, scope, usage) in await ScopesAsync(space, ct))
        {
            if (quota.InstanceMemoryMb is { } perInstance && after.MemoryMb > perInstance && (after.MemoryMb != before.MemoryMb || newApp))
                return $"{scope} quota \"{quota.Name}\": {Mb(perInstance)} of memory per instance, {Mb(after.MemoryMb)} asked";
            if (newApp && quota.Apps is { } apps && usage.Apps + 1 > apps)
                return $"{scope} quota \"{quota.Name}\": {apps} apps, {usage.Apps} in use, 1 asked";
            var memory = after.StartedMemoryMb - before.StartedMemoryMb;
            if (memory > 0 && quota.MemoryMb is { } total && usage.MemoryMb + memory > total)
                return $"{scope} quota \"{quota.Name}\": {Mb(total)} of memory, {Mb(usage.MemoryMb)} in use, {Mb(memory)} asked";
            var instances = after.StartedInstances - before.StartedInstances;
            if (instances > 0 && quota.AppInstances is { } limit && usage.Instances + instances > limit)
                return $"{scope} quota \"{quota.Name}\": {limit} app instances, {usage.Instances} in use, {instances} asked";
        }
        return null;
    }

    /// <summary>Null when <paramref name="count"/> more routes fit in the space and its org, else why not.</summary>
    public async Task<string?> CheckRoutesAsync(SpaceEntity space, int count, CancellationToken ct)
    {
        foreach (var (quota, scope, usage) in await ScopesAsync(space, ct))
            if (quota.Routes is { } routes && usage.Routes + count > routes)
                return $"{scope} quota \"{quota.Name}\": {routes} routes, {usage.Routes} in use, {count} asked";
        return null;
    }

    private sealed record Usage(int Apps, int MemoryMb, int Instances, int Routes);

    private async Task<List<(QuotaEntity Quota, string Scope, Usage Usage)>> ScopesAsync(SpaceEntity space, CancellationToken ct)
    {
        var result = new List<(QuotaEntity, string, Usage)>();
        var orgQuotaId = await db.Orgs.Where(o => o.Id == space.OrgId).Select(o => o.QuotaId).FirstOrDefaultAsync(ct);
        if (space.QuotaId is { } sq && await db.Quotas.AsNoTracking().FirstOrDefaultAsync(q => q.Id == sq, ct) is { } spaceQuota)
            result.Add((spaceQuota, "space", await UsageAsync(db.Apps.Where(a => a.SpaceId == space.Id), db.Routes.Where(r => r.SpaceId == space.Id), ct)));
        if (orgQuotaId is { } oq && await db.Quotas.AsNoTracking().FirstOrDefaultAsync(q => q.Id == oq, ct) is { } orgQuota)
        {
            var spaces = db.Spaces.Where(s => s.OrgId == space.OrgId).Select(s => s.Id);
            result.Add((orgQuota, "org", await UsageAsync(db.Apps.Where(a => spaces.Contains(a.SpaceId)), db.Routes.Where(r => spaces.Contains(r.SpaceId)), ct)));
        }
        return result;
    }

    private static async Task<Usage> UsageAsync(IQueryable<AppEntity> apps, IQueryable<RouteEntity> routes, CancellationToken ct)
    {
        var count = await apps.CountAsync(ct);
        var started = apps.Where(a => a.State == AppStates.Started);
        var memory = await started.SumAsync(a => a.Instances * a.MemoryMb, ct);
        var instances = await started.SumAsync(a => a.Instances, ct);
        return new Usage(count, memory, instances, await routes.CountAsync(ct));
    }

    private static string Mb(int mb) => mb.ToString(CultureInfo.InvariantCulture) + "M";
}
