namespace Platform.Contracts.Api;

/// <summary>
/// GET /v1/cells (admins, `plat cells`): a cell, its zone and address, what its live instances reserve of its
/// capacity (memory and disk as asked with -m and -k), how many it holds, its state ("alive", "lost": no heartbeat within
/// the scheduler's cell timeout, "evacuating": stopping gracefully) and its last heartbeat.
/// </summary>
public sealed record CellResponse(
    string Id,
    string Host,
    string State,
    int MemoryCapacityMb,
    int MemoryUsedMb,
    int DiskCapacityMb,
    int DiskUsedMb,
    int Instances,
    int MaxInstances,
    DateTimeOffset LastHeartbeat,
    double SecondsSinceHeartbeat,
    string Zone = "");
