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
    Dictionary<string, string> Env,
    IReadOnlyList<Platform.Contracts.VolumeMount>? Volumes = null);

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
    string? Reason,
    InstanceMetrics? Metrics = null);

/// <summary>
/// An instance's resource use when its cell last looked: CPU as a percentage of one core over the last interval
/// (like `cf app`), memory from its cgroup, disk from its writable layer, and when its container started.
/// Any field is null when the cell could not read it.
/// </summary>
public sealed record InstanceMetrics(
    double? CpuPercent,
    long? MemoryBytes,
    long? MemoryLimitBytes,
    long? DiskBytes,
    long? DiskLimitBytes,
    DateTimeOffset? StartedAt);

/// <summary>
/// Published by each cell every few seconds: its capacity and the full list of what it runs, so the
/// scheduler can reconcile even if single state changes were lost. <paramref name="ExecUrl"/> is where the cell's
/// exec listener answers and <paramref name="ExecToken"/> the bearer token it wants (the bus and the database are
/// inside the platform's trust boundary: whoever can publish on the bus can already start any container).
/// </summary>
public sealed record CellHeartbeat(
    string CellId,
    string Host,
    int MemoryCapacityMb,
    int DiskCapacityMb,
    int MaxInstances,
    IReadOnlyList<InstanceReport> Instances,
    DateTimeOffset Timestamp,
    string? ExecUrl = null,
    string? ExecToken = null);
