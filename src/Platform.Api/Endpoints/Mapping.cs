using Microsoft.EntityFrameworkCore;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Endpoints;

/// <summary>Turns rows into the API's response bodies.</summary>
internal static class Mapping
{
    public static async Task<AppResponse> ToResponseAsync(PlatformDbContext db, AppEntity app, CancellationToken ct)
    {
        var routes = await db.Routes.Where(r => r.AppId == app.Id).OrderBy(r => r.Host).ThenBy(r => r.Path)
            .Select(r => r.Host + r.Path).ToListAsync(ct);
        var running = await db.Instances.CountAsync(i => i.AppId == app.Id && i.State == InstanceStates.Running, ct);
        string? detected = app.CurrentDropletId is { } dropletId
            ? await db.Droplets.Where(d => d.Id == dropletId).Select(d => d.Buildpack).FirstOrDefaultAsync(ct)
            : null;
        var lastUpload = await db.Packages.Where(p => p.AppId == app.Id).OrderByDescending(p => p.CreatedAt)
            .Select(p => (DateTimeOffset?)p.CreatedAt).FirstOrDefaultAsync(ct);
        var fingerprint = app.CurrentDropletId is { } current
            ? (await PackageFingerprintsAsync(db, [current], ct)).GetValueOrDefault(current)
            : null;
        return ToResponse(app, routes, running, detected, lastUpload, fingerprint);
    }

    /// <summary>Per droplet, the fingerprint of the package it was staged from (droplet -> build -> package).</summary>
    public static async Task<Dictionary<Guid, string?>> PackageFingerprintsAsync(PlatformDbContext db, IReadOnlyCollection<Guid> dropletIds, CancellationToken ct) =>
        await (from d in db.Droplets
               where dropletIds.Contains(d.Id)
               join b in db.Builds on d.BuildId equals b.Id
               join p in db.Packages on b.PackageId equals p.Id
               select new { d.Id, p.Fingerprint }).ToDictionaryAsync(x => x.Id, x => (string?)x.Fingerprint, ct);

    public static AppResponse ToResponse(AppEntity app, IReadOnlyList<string> routes, int running, string? detected, DateTimeOffset? lastUpload,
        string? packageFingerprint = null) =>
        new(app.Id, app.Name, app.State, app.Instances, app.MemoryMb, app.DiskMb, app.Buildpack, app.Command,
            routes, running, app.CurrentDropletId, detected, app.CreatedAt, app.UpdatedAt, lastUpload, app.Volumes,
            new Platform.Contracts.HealthCheck(app.HealthCheckType, app.HealthCheckEndpoint, app.HealthCheckTimeoutSeconds),
            packageFingerprint);

    public static InstanceResponse ToResponse(InstanceEntity i) => ToResponse(i, null);

    /// <summary>With the metrics of the cell's last heartbeat; uptime counts to <paramref name="now"/> for a running instance.</summary>
    public static InstanceResponse ToResponse(InstanceEntity i, DateTimeOffset? now) =>
        new(i.Id, i.Index, i.State, i.CellId, i.Address ?? i.HostAddress, i.Reason, i.UpdatedAt,
            i.CpuPercent, i.MemoryBytes, i.MemoryLimitBytes, i.DiskBytes, i.DiskLimitBytes, i.StartedAt,
            i.State == InstanceStates.Running && i.StartedAt is { } started && now is { } n
                ? Math.Max(0, (long)(n - started).TotalSeconds) : null,
            i.MetricsAt);

    public static PackageResponse ToResponse(PackageEntity p) => new(p.Id, p.AppId, p.Digest, p.SizeBytes, p.CreatedAt, p.Fingerprint);

    public static BuildResponse ToResponse(BuildEntity b) =>
        new(b.Id, b.AppId, b.PackageId, b.State, b.Error, b.Buildpack, b.DropletId, b.CreatedAt, b.CompletedAt);

    public static EventResponse ToResponse(EventEntity e) => new(e.Id, e.AppId, e.Type, e.Actor, e.Description, e.Timestamp, e.SpaceId, e.OrgId);

    public static LogLineResponse ToResponse(LogLineEntity l) => new(l.Id, l.Timestamp, l.Source, l.SourceIndex, l.Stream, l.Text);
}
