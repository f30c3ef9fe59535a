using Microsoft.EntityFrameworkCore;
using Platform.Data;

namespace Platform.Api.Endpoints;

/// <summary>
/// Refuses an instance size that no cell could ever hold (`-m 1T`), up front, instead of an app that stays unplaced
/// forever. Only cells that have reported count; with none yet, any size is taken (cells may join later).
/// </summary>
internal static class CellCapacity
{
    public static async Task<string?> CheckAsync(PlatformDbContext db, int memoryMb, int diskMb, CancellationToken ct)
    {
        var cells = await db.Cells.AsNoTracking().Select(c => new { c.MemoryCapacityMb, c.DiskCapacityMb }).ToListAsync(ct);
        if (cells.Count == 0) return null;
        var memory = cells.Max(c => c.MemoryCapacityMb);
        if (memoryMb > memory)
            return $"an instance of {memoryMb}M of memory fits on no cell: the largest cell has {memory}M for instances";
        // A disk capacity of 0 means the cell does not limit it.
        if (diskMb > 0 && cells.All(c => c.DiskCapacityMb > 0) && diskMb > cells.Max(c => c.DiskCapacityMb))
            return $"an instance of {diskMb}M of disk fits on no cell: the largest cell has {cells.Max(c => c.DiskCapacityMb)}M of disk";
        return null;
    }
}
