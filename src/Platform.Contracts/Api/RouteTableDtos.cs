namespace Platform.Contracts.Api;

/// <summary>
/// The platform-wide route table as routers load it (<c>GET /v1/internal/route-table</c>, with the router credential):
/// every route, and every instance of a routed app with its state, both addresses and the version of its cell's last
/// report applied to it, so a router can tell whether a state change it heard on the bus is newer.
/// </summary>
public sealed record RouteTableSnapshot(IReadOnlyList<RouteTableRoute> Routes, IReadOnlyList<RouteTableInstance> Instances);

/// <param name="Protocol">"http1" or "http2": how routers speak to the app's instances on this route.</param>
public sealed record RouteTableRoute(string Host, string Path, Guid AppId, string AppName, string Protocol);

/// <param name="State">The instance row's state (STARTING, RUNNING, CRASHED, STOPPING, STOPPED).</param>
/// <param name="Address">ip:port for a router on the instance's cell host.</param>
/// <param name="HostAddress">host:port mapped to the instance, for routers elsewhere.</param>
public sealed record RouteTableInstance(
    Guid InstanceId,
    Guid AppId,
    int Index,
    string CellId,
    string State,
    string? Address,
    string? HostAddress,
    long? ReportEpoch,
    long? ReportSequence);
