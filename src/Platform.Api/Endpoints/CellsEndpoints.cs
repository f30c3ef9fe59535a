using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Api.Access;
using Platform.Contracts.Api;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Api.Endpoints;

/// <summary>GET /v1/cells (admins, plat cells): every cell with its zone, address and what its live instances reserve of it.</summary>
public static class CellsEndpoints
{
    public const string Alive = "alive";
    public const string Lost = "lost";
    public const string Evacuating = "evacuating";

    public static RouteGroupBuilder MapCellsEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/cells", async (PlatformDbContext db, IOptions<ApiOptions> options, TimeProvider time, CancellationToken ct) =>
            Results.Ok(await ReadAsync(db, options.Value, time.GetUtcNow(), ct))).AdminOnly().Produces<List<CellResponse>>();
        return v1;
    }

    internal static async Task<List<CellResponse>> ReadAsync(PlatformDbContext db, ApiOptions options, DateTimeOffset now, CancellationToken ct)
    {
        var cells = await db.Cells.AsNoTracking().OrderBy(c => c.Id).ToListAsync(ct);
        string[] live = [InstanceStates.Starting, InstanceStates.Running, InstanceStates.Stopping];
        var use = await db.Instances.AsNoTracking().Where(i => live.Contains(i.State))
            .GroupBy(i => i.CellId)
            .Select(g => new { CellId = g.Key, Count = g.Count(), Memory = g.Sum(i => i.MemoryMb), Disk = g.Sum(i => i.DiskMb) })
            .ToDictionaryAsync(x => x.CellId, ct);
        return cells.Select(c =>
        {
            var u = use.GetValueOrDefault(c.Id);
            var silent = Math.Max(0, (now - c.LastHeartbeat).TotalSeconds);
            var state = silent > options.CellTimeoutSeconds ? Lost : c.Evacuating ? Evacuating : Alive;
            return new CellResponse(c.Id, c.Host, state, c.MemoryCapacityMb, u?.Memory ?? 0, c.DiskCapacityMb, u?.Disk ?? 0,
                u?.Count ?? 0, c.MaxInstances, c.LastHeartbeat, Math.Round(silent, 1), c.Zone);
        }).ToList();
    }
}
