namespace Platform.Contracts.Messages;

/// <summary>
/// Command to one cell's queue (<see cref="Queues.Cell"/>): run this instance. <paramref name="Space"/> is the app's
/// space and org (its volumes are the space's; apps see the names in VCAP_APPLICATION).
/// </summary>
/// <remarks>Idempotent: a cell that already runs <paramref name="InstanceId"/> only reports its state again.</remarks>
/// <param name="Egress">What this instance may reach beyond the cell's defaults (its application security groups);
/// null: the cell's defaults only.</param>
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
    IReadOnlyList<Platform.Contracts.VolumeMount>? Volumes = null,
    InstanceSpace? Space = null,
    Platform.Contracts.HealthCheck? HealthCheck = null,
    IReadOnlyList<EgressRule>? Egress = null);

/// <summary>The space an instance's app belongs to, and its org.</summary>
public sealed record InstanceSpace(Guid SpaceId, string SpaceName, Guid OrgId, string OrgName);

/// <summary>
/// Command to one cell's queue: stop and destroy this instance. Idempotent. <paramref name="DrainMilliseconds"/>: how long
/// to wait before SIGTERM, while routers stop sending it requests (0: at once).
/// </summary>
public sealed record StopInstance(Guid InstanceId, string CellId, string Reason, int DrainMilliseconds = 0);

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
/// the host port mapped to it, for routers elsewhere. <paramref name="Version"/> orders it among the cell's other
/// reports (the same change seen in a heartbeat carries the same version); <paramref name="Timestamp"/> is the
/// cell's clock, for people only: nothing is ordered by it.
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
    ReportVersion Version,
    DateTimeOffset Timestamp);

/// <summary>
/// One instance as a cell last saw it; part of every heartbeat. <paramref name="Version"/> is that of the instance's
/// last state change. An instance that ended stays in a few heartbeats as CRASHED or STOPPED, with how it ended, so
/// the heartbeat tells the same story as the state change it may overtake.
/// </summary>
public sealed record InstanceReport(
    Guid InstanceId,
    Guid AppId,
    int Index,
    InstanceState State,
    string? Address,
    string? HostAddress,
    string? Reason,
    ReportVersion Version,
    int? ExitCode = null,
    InstanceMetrics? Metrics = null);

/// <summary>
/// An instance's resource use when its cell last looked: CPU as a percentage of one core over the last interval
/// (like `cf app`), memory from its cgroup, disk from its writable layer, and how long its container has run (a
/// duration the cell measures on its own clock, so no timestamp of the cell's is compared with another host's).
/// Any field is null when the cell could not read it.
/// </summary>
public sealed record InstanceMetrics(
    double? CpuPercent,
    long? MemoryBytes,
    long? MemoryLimitBytes,
    long? DiskBytes,
    long? DiskLimitBytes,
    TimeSpan? Uptime);

/// <summary>
/// Published by each cell every few seconds: its capacity and the full list of what it runs, so the
/// scheduler can reconcile even if single state changes were lost. <paramref name="Version"/> is when, in the cell's
/// history, the list was taken: an instance missing from it had ended (or not begun) by then. <paramref name="ExecUrl"/> is where the cell's
/// exec listener answers; it carries no credential: the API signs a grant per exec with the key it shares with the
/// cells (Api:ExecGrantKey = Cell:ExecGrantKey), so nothing on the bus lets its readers exec.
/// <paramref name="Zone"/> is the failure domain the cell is in (the scheduler spreads an app over zones first);
/// <paramref name="Evacuating"/> says the cell is being stopped gracefully: nothing new goes there, and each of its
/// instances is started elsewhere before it is stopped here.
/// </summary>
public sealed record CellHeartbeat(
    string CellId,
    string Host,
    int MemoryCapacityMb,
    int DiskCapacityMb,
    int MaxInstances,
    IReadOnlyList<InstanceReport> Instances,
    ReportVersion Version,
    DateTimeOffset Timestamp,
    string? ExecUrl = null,
    string? Zone = null,
    bool Evacuating = false);
