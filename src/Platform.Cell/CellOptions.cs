namespace Platform.Cell;

/// <summary>Settings of the cell role, bound from the "Cell" configuration section.</summary>
public sealed class CellOptions
{
    /// <summary>This cell's id; its command queue is Queues.Cell(Id). Default: "cell-" + the host name.</summary>
    public string Id { get; set; } = "cell-" + Environment.MachineName.ToLowerInvariant();

    /// <summary>The address routers on other hosts use to reach this cell's mapped ports.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Memory the scheduler may place on this cell. 0: the host's memory less 1 GiB.</summary>
    public int MemoryCapacityMb { get; set; }

    public int DiskCapacityMb { get; set; } = 50 * 1024;
    public int MaxInstances { get; set; } = 100;
    public int HeartbeatSeconds { get; set; } = 5;

    /// <summary>How long an instance has to start listening on its port before it counts as crashed.</summary>
    public int HealthCheckTimeoutSeconds { get; set; } = 60;

    /// <summary>Time between SIGTERM and SIGKILL when an instance is stopped.</summary>
    public int StopGraceSeconds { get; set; } = 10;

    /// <summary>The port every app listens on inside its sandbox ($PORT), as in Cloud Foundry.</summary>
    public int AppPort { get; set; } = 8080;
}
