namespace Platform.Cell;

/// <summary>Settings of the cell role, bound from the "Cell" configuration section.</summary>
public sealed class CellOptions
{
    /// <summary>This cell's id; its command queue is Queues.Cell(Id). Default: "cell-" + the host name.</summary>
    public string Id { get; set; } = "cell-" + Environment.MachineName.ToLowerInvariant();

    /// <summary>The address routers on other hosts use to reach this cell's mapped ports.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>
    /// The cell's zone: a failure domain (a rack, a data centre room, a cloud availability zone). The scheduler spreads
    /// each app's instances over zones first, then cells. Empty: the zone of every cell that names none.
    /// </summary>
    public string Zone { get; set; } = "";

    /// <summary>
    /// Whether a graceful stop (SIGTERM) evacuates the cell first, as Diego's rep does: it tells the scheduler, which
    /// starts each of its instances on another cell and stops it here once the new one runs; the agent exits when it
    /// runs nothing more or after <see cref="EvacuationTimeoutSeconds"/>. So a rolling upgrade of cells drops no request.
    /// </summary>
    public bool Evacuate { get; set; }

    /// <summary>The longest an evacuation waits for the scheduler to move every instance away.</summary>
    public int EvacuationTimeoutSeconds { get; set; } = 120;

    /// <summary>
    /// Seconds a RUNNING instance keeps serving after its StopInstance arrives, before SIGTERM: the scheduler takes it
    /// out of the routers' tables as it sends the stop, and this covers their reload. 0: stop at once.
    /// </summary>
    public double DrainSeconds { get; set; }

    /// <summary>Memory the scheduler may place on this cell. 0: the host's memory less 1 GiB.</summary>
    public int MemoryCapacityMb { get; set; }

    public int DiskCapacityMb { get; set; } = 50 * 1024;
    public int MaxInstances { get; set; } = 100;
    public int HeartbeatSeconds { get; set; } = 5;

    /// <summary>How long an instance has to pass its health check after start, unless its app sets a timeout.</summary>
    public int HealthCheckTimeoutSeconds { get; set; } = 60;

    /// <summary>Time between liveness checks of a RUNNING instance (its app's port or http health check).</summary>
    public double LivenessIntervalSeconds { get; set; } = 5;

    /// <summary>Failed liveness checks in a row that take an instance down as crashed ("health check failed").</summary>
    public int LivenessFailures { get; set; } = 2;

    /// <summary>
    /// Seconds an instance that failed its liveness check is left running after it was reported CRASHED (routers drop it
    /// on that report) before its container is destroyed: the routers' table update and the requests in flight to it
    /// get that long, instead of meeting a torn-down network namespace (502s, and 504s for connects to a vanished
    /// address). 0: destroy at once.
    /// </summary>
    public double UnhealthyDrainSeconds { get; set; } = 2;

    /// <summary>Time between SIGTERM and SIGKILL when an instance is stopped.</summary>
    public int StopGraceSeconds { get; set; } = 10;

    /// <summary>
    /// Whether stopping the cell agent (SIGTERM) stops its instances. False (the default for `--roles cell`): they
    /// keep running under their monitors and the next agent adopts them, so an upgrade or restart of the agent takes
    /// no instance down. `platd --dev` sets it true, so stopping the dev server leaves nothing running.
    /// </summary>
    public bool StopInstancesOnShutdown { get; set; }

    /// <summary>The port every app listens on inside its sandbox ($PORT), as in Cloud Foundry.</summary>
    public int AppPort { get; set; } = 8080;

    /// <summary>
    /// Where the cell's exec listener listens (the API proxies `plat exec` to it). Port 0 picks a free port; the
    /// default is loopback, which is enough when the API runs on the same host. Give a routable address (or
    /// http://0.0.0.0:PORT) when the API runs elsewhere.
    /// </summary>
    public string ExecUrl { get; set; } = "http://127.0.0.1:0";

    /// <summary>The URL the API should use, when not the listener's own (e.g. behind NAT). Default: derived from ExecUrl and Host.</summary>
    public string? ExecAdvertiseUrl { get; set; }

    /// <summary>
    /// The secret exec grants are signed with: the API's Api:ExecGrantKey (at least 16 characters; never logged).
    /// platd makes one up per run when the api and cell roles share a process. Unset: the listener refuses every exec.
    /// </summary>
    public string? ExecGrantKey { get; set; }

    /// <summary>How long a nonce this cell handed out for an exec grant stays good, by the cell's own clock.</summary>
    public int ExecGrantSeconds { get; set; } = 30;

    /// <summary>Where named persistent volumes live on this cell (one directory per space and name).</summary>
    public string VolumesRoot { get; set; } = "/var/lib/platform/volumes";

    /// <summary>Owner of a new volume directory: the app user (Cloud Foundry's vcap is 2000:2000).</summary>
    public uint VolumeUid { get; set; } = 2000;
    public uint VolumeGid { get; set; } = 2000;
}
