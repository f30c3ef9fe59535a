using Microsoft.EntityFrameworkCore;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Endpoints;

/// <summary>The apps of a space and one app with its instances, as GET .../apps answers and the live streams push them.</summary>
internal static class AppViews
{
    /// <summary>Every app of the space, by name, with routes, running instances, buildpack and last upload: a handful of queries however many apps.</summary>
    public static async Task<List<AppResponse>> ListAsync(PlatformDbContext db, Guid spaceId, CancellationToken ct)
    {
        var apps = await db.Apps.AsNoTracking().Where(a => a.SpaceId == spaceId).OrderBy(a => a.Name).ToListAsync(ct);
        var ids = apps.Select(a => a.Id).ToList();
        var routes = (await db.Routes.AsNoTracking().Where(r => r.AppId != null && ids.Contains(r.AppId.Value)).ToListAsync(ct))
            .ToLookup(r => r.AppId!.Value, r => r.Host + r.Path);
        var running = await db.Instances.Where(i => ids.Contains(i.AppId) && i.State == InstanceStates.Running)
            .GroupBy(i => i.AppId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        var dropletIds = apps.Where(a => a.CurrentDropletId != null).Select(a => a.CurrentDropletId!.Value).ToList();
        var buildpacks = await db.Droplets.Where(d => dropletIds.Contains(d.Id)).ToDictionaryAsync(d => d.Id, d => d.Buildpack, ct);
        var uploads = await db.Packages.Where(p => ids.Contains(p.AppId)).GroupBy(p => p.AppId)
            .Select(g => new { g.Key, Last = g.Max(p => p.CreatedAt) }).ToDictionaryAsync(x => x.Key, x => x.Last, ct);
        var fingerprints = await Mapping.PackageFingerprintsAsync(db, dropletIds, ct);
        return apps.Select(a => Mapping.ToResponse(
            a,
            routes[a.Id].Order(StringComparer.Ordinal).ToList(),
            running.GetValueOrDefault(a.Id),
            a.CurrentDropletId is { } d ? buildpacks.GetValueOrDefault(d) : null,
            uploads.TryGetValue(a.Id, out var last) ? last : null,
            a.CurrentDropletId is { } current ? fingerprints.GetValueOrDefault(current) : null)).ToList();
    }

    /// <summary>The app and its instances that are not stopped (with their last metrics), or null when the space has no such app.</summary>
    public static async Task<AppDetailResponse?> DetailAsync(PlatformDbContext db, Guid spaceId, string name, DateTimeOffset now, CancellationToken ct)
    {
        var app = await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.SpaceId == spaceId && a.Name == name, ct);
        if (app is null) return null;
        var instances = await db.Instances.AsNoTracking()
            .Where(i => i.AppId == app.Id && i.State != InstanceStates.Stopped)
            .OrderBy(i => i.Index).ThenBy(i => i.CreatedAt).ToListAsync(ct);
        var revisionIds = instances.Where(i => i.RevisionId != null).Select(i => i.RevisionId!.Value).Distinct().ToList();
        var versions = await db.Revisions.Where(r => revisionIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, r => r.Version, ct);
        var deployment = await db.Deployments.AsNoTracking().Where(d => d.AppId == app.Id).OrderByDescending(d => d.CreatedAt).FirstOrDefaultAsync(ct);
        var droplet = app.CurrentDropletId is { } dropletId
            ? await db.Droplets.AsNoTracking().Where(d => d.Id == dropletId)
                .Select(d => new { d.StartCommand, d.Layers }).FirstOrDefaultAsync(ct)
            : null;
        return new AppDetailResponse(
            await Mapping.ToResponseAsync(db, app, ct),
            instances.Select(i => Mapping.ToResponse(i, now) with
            {
                Revision = i.RevisionId is { } r && versions.TryGetValue(r, out var v) ? v : null,
                Outdated = app.RevisionId is { } newest && i.RevisionId != newest,
            }).ToList(),
            deployment is null ? null : (await DeploymentsEndpoints.ResponsesAsync(db, [deployment], ct))[0],
            droplet?.StartCommand,
            droplet is null ? null : DropletDigest(droplet.Layers.Select(l => l.Digest)),
            droplet?.Layers.Select(l => l.Name).FirstOrDefault(n => n.StartsWith("stack:", StringComparison.Ordinal))?["stack:".Length..]);
    }

    /// <summary>One digest for the whole droplet: sha256 over its layer digests in order (equal layers, equal droplet).</summary>
    internal static string DropletDigest(IEnumerable<string> layerDigests)
    {
        var joined = string.Join("\n", layerDigests);
        return "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(joined)));
    }
}
