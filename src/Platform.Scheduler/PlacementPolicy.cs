using Platform.Data.Entities;

namespace Platform.Scheduler;

/// <summary>What one cell has committed so far, updated as a convergence pass places instances on it.</summary>
public sealed class CellLoad(CellEntity cell)
{
    private readonly Dictionary<Guid, int> _perApp = new();

    public CellEntity Cell { get; } = cell;
    public string CellId => Cell.Id;
    public int UsedMemoryMb { get; private set; }
    public int UsedDiskMb { get; private set; }
    public int InstanceCount { get; private set; }

    public int FreeMemoryMb => Cell.MemoryCapacityMb - UsedMemoryMb;
    /// <summary>A cell that reports no disk capacity (0) is not limited by disk.</summary>
    public int FreeDiskMb => Cell.DiskCapacityMb > 0 ? Cell.DiskCapacityMb - UsedDiskMb : int.MaxValue;
    /// <summary>A cell that reports no instance limit (0) has unlimited slots.</summary>
    public int FreeSlots => Cell.MaxInstances > 0 ? Cell.MaxInstances - InstanceCount : int.MaxValue;

    public int InstancesOf(Guid appId) => _perApp.GetValueOrDefault(appId);

    public void Add(Guid appId, int memoryMb, int diskMb)
    {
        UsedMemoryMb += memoryMb;
        UsedDiskMb += diskMb;
        InstanceCount++;
        _perApp[appId] = InstancesOf(appId) + 1;
    }

    public bool Fits(int memoryMb, int diskMb) => FreeSlots >= 1 && FreeMemoryMb >= memoryMb && FreeDiskMb >= diskMb;
}

/// <summary>
/// Chooses the cell for a new instance, as Diego's auctioneer weighs cells: among live cells with enough free memory,
/// disk and a free slot, first the zone holding the fewest instances of this app (losing a zone takes as few of them as
/// can be), then the cell of that zone running the fewest instances of this app (losing a cell likewise), then the best
/// fit: the cell left with the least free memory, then disk, once the instance is on it (big holes stay for big
/// instances), then by id so the choice is repeatable. Cells that report no zone form one zone of their own ("").
/// </summary>
public sealed class PlacementPolicy
{
    public static bool IsAlive(CellEntity cell, DateTimeOffset now, TimeSpan cellTimeout) =>
        now - cell.LastHeartbeat <= cellTimeout;

    public CellLoad? Choose(IEnumerable<CellLoad> cells, Guid appId, int memoryMb, int diskMb)
    {
        var all = cells as IReadOnlyCollection<CellLoad> ?? cells.ToList();
        var perZone = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in all) perZone[c.Cell.Zone] = perZone.GetValueOrDefault(c.Cell.Zone) + c.InstancesOf(appId);
        return all.Where(c => c.Fits(memoryMb, diskMb))
            .OrderBy(c => perZone[c.Cell.Zone])
            .ThenBy(c => c.InstancesOf(appId))
            .ThenBy(c => (long)c.FreeMemoryMb - memoryMb)
            .ThenBy(c => (long)c.FreeDiskMb - diskMb)
            .ThenBy(c => c.CellId, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    /// <summary>Why <see cref="Choose"/> found nothing, in words for the app's events and logs.</summary>
    public string WhyUnplaced(IReadOnlyCollection<CellLoad> cells, int memoryMb, int diskMb)
    {
        if (cells.Count == 0) return "insufficient resources: no cell is available";
        var lacking = new List<string>();
        if (cells.All(c => c.FreeMemoryMb < memoryMb)) lacking.Add($"memory (needs {memoryMb} MB)");
        if (cells.All(c => c.FreeDiskMb < diskMb)) lacking.Add($"disk (needs {diskMb} MB)");
        if (cells.All(c => c.FreeSlots < 1)) lacking.Add("instance slots");
        return lacking.Count > 0
            ? "insufficient resources: " + string.Join(", ", lacking)
            : $"insufficient resources: no cell has {memoryMb} MB memory, {diskMb} MB disk and a free slot together";
    }
}
