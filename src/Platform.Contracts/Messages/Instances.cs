namespace Platform.Contracts.Messages;

/// <summary>Command to one cell's queue (<see cref="Queues.Cell"/>): run this instance.</summary>
/// <remarks>Idempotent: a cell that already runs <paramref name="InstanceId"/> only reports its state again.</remarks>
public sealed record StartInstance(
    Guid InstanceId,
    Guid AppId,
    string AppName,
    int Index,
    string CellId,
    Guid DropletId,
    DropletSpec Droplet,
    int MemoryMb,
    int DiskMb,
    Dictionary<string, string> Env);

/// <summary>Command to one cell's queue: stop and destroy this instance. Idempotent.</summary>
public sealed record StopInstance(Guid InstanceId, string CellId, string Reason);

public enum InstanceState
{
    Starting,
    Running,
    Crashed,
    Stopped,
}

/// <summary>
/// Published by a cell whenever an instance changes state. <paramref name="Address"/> is where a router
/// on the cell's host reaches the app (the instance's own IP and port); <paramref name="HostAddress"/> is
/// the host port mapped to it, for routers elsewhere.
/// </summary>
public sealed record InstanceStateChanged(
    Guid InstanceId,
    Guid AppId,
    int Index,
    string CellId,
    InstanceState State,
    string? Address,
    string? HostAddress,
    string? Reason,
    int? ExitCode,
    DateTimeOffset Timestamp);

/// <summary>One instance as a cell last saw it; part of every heartbeat.</summary>
public sealed record InstanceReport(
    Guid InstanceId,
    Guid AppId,
    int Index,
    InstanceState State,
    string? Address,
    string? HostAddress,
    string? Reason);

/// <summary>
/// Published by each cell every few seconds: its capacity and the full list of what it runs, so the
/// scheduler can reconcile even if single state changes were lost.
/// </summary>
public sealed record CellHeartbeat(
    string CellId,
    string Host,
    int MemoryCapacityMb,
    int DiskCapacityMb,
    int MaxInstances,
    IReadOnlyList<InstanceReport> Instances,
    DateTimeOffset Timestamp);
