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
/// Chooses the cell for a new instance: among live cells with enough free memory, disk and a free slot,
/// the one running the fewest instances of this app (spread an app, so one lost cell takes few of its
/// instances), then the one with the most free memory, then by id so the choice is repeatable.
/// </summary>
public sealed class PlacementPolicy
{
    public static bool IsAlive(CellEntity cell, DateTimeOffset now, TimeSpan cellTimeout) =>
        now - cell.LastHeartbeat <= cellTimeout;

    public CellLoad? Choose(IEnumerable<CellLoad> cells, Guid appId, int memoryMb, int diskMb) =>
        cells.Where(c => c.Fits(memoryMb, diskMb))
            .OrderBy(c => c.InstancesOf(appId))
            .ThenByDescending(c => c.FreeMemoryMb)
            .ThenBy(c => c.CellId, StringComparer.Ordinal)
            .FirstOrDefault();

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
