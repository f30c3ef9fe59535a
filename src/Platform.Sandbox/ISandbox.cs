namespace Platform.Sandbox;

/// <summary>A host directory bind-mounted into a container.</summary>
public sealed record BindMount(string Source, string Destination, bool ReadOnly = true);

/// <summary>
/// What to run and with what limits. The rootfs is an overlay of <see cref="Layers"/> (read-only,
/// bottom first, as directories from <see cref="Layers.LayerCache"/>) under a writable upper directory
/// of the container's own.
/// </summary>
public sealed record ContainerSpec
{
    /// <summary>Unique on the host; lowercase letters, digits and '-'; at most 48 characters.</summary>
    public required string Id { get; init; }
    public required IReadOnlyList<string> Layers { get; init; }
    /// <summary>The process's argv, e.g. ["/bin/sh", "-c", "exec ./start"].</summary>
    public required IReadOnlyList<string> Args { get; init; }
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    public string WorkingDir { get; init; } = "/";
    public string Hostname { get; init; } = "sandbox";
    /// <summary>Memory limit (swap included). 0 means none.</summary>
    public long MemoryLimitBytes { get; init; }
    public IReadOnlyList<BindMount> Mounts { get; init; } = [];
    /// <summary>
    /// When set, the container gets its own network namespace on the host bridge, an address of its own,
    /// and a host port mapped to this port. When null, its network namespace has only loopback.
    /// </summary>
    public int? ContainerPort { get; init; }

    /// <summary>
    /// What this container may reach beyond the cell's egress defaults (allow rules, in a chain of its own; see
    /// docs/sandbox.md, "Network policy"). Null or empty: the defaults only. Needs <see cref="ContainerPort"/> (a network).
    /// </summary>
    public IReadOnlyList<Platform.Contracts.Messages.EgressRule>? Egress { get; init; }

    /// <summary>Who the process runs as. Null: root (uid 0, gid 0), with the default capability set.</summary>
    public ContainerUser? User { get; init; }

    /// <summary>Most processes and threads the container may have. Null: no limit.</summary>
    public long? PidsLimit { get; init; }

    /// <summary>
    /// Relative CPU weight (cgroup v1 cpu.shares; the runtime converts it to cpu.weight on v2). Null: derived from
    /// <see cref="MemoryLimitBytes"/> as Cloud Foundry does (1024 shares per GiB, at least 2), or the kernel's default
    /// when there is no memory limit.
    /// </summary>
    public ulong? CpuShares { get; init; }

    /// <summary>Hard CPU cap in percent of one core (150 = one and a half cores). Null: Sandbox:CpuQuotaPercent.</summary>
    public int? CpuQuotaPercent { get; init; }

    /// <summary>
    /// Size of the writable layer (the overlay's upper dir lives on a filesystem of this size, so writing past it
    /// fails with ENOSPC inside the container). 0: no limit (the upper dir is a plain directory on the host).
    /// </summary>
    public long DiskLimitBytes { get; init; }

    /// <summary>
    /// Small named strings recorded with the container (in its state.json) before it starts, for its owner to find
    /// again after a restart (the cell keeps the StartInstance it was made for here). Names: letters, digits, '.', '-'.
    /// </summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Whether layers can be added to the rootfs while the container runs (<see cref="ISandbox.AddLayersAsync"/>): its
    /// rootfs is then a shared mount on the host of which the container's is a slave, so mounts the host makes beneath
    /// it reach the container (and none the container makes reach the host). A stager uses it to run a whole build in
    /// one container, adding the chosen buildpack's dependencies once detection has chosen it.
    /// </summary>
    public bool AcceptsLayersWhileRunning { get; init; }
}

/// <summary>A numeric user and group inside the container. A non-root user gets no capabilities.</summary>
public sealed record ContainerUser(uint Uid, uint Gid);

/// <summary>How a container's process ended.</summary>
/// <param name="ExitCode">The exit status when it exited; null when killed by a signal.</param>
/// <param name="Signal">The signal that killed it, if any.</param>
/// <param name="OomKilled">True when the kernel's OOM killer ended it for exceeding its memory limit.</param>
public sealed record ContainerExit(int? ExitCode, int? Signal, bool OomKilled)
{
    public override string ToString() =>
        OomKilled ? "out of memory" : Signal is { } s ? $"killed by signal {s}" : $"exited {ExitCode}";
}

/// <summary>Receives a container's output, a line at a time. Stream is "OUT" or "ERR".</summary>
public delegate void OutputLineHandler(string stream, string line);

/// <summary>
/// Where a reader of a container's log file has got to: the file (by inode, since the monitor replaces the file when
/// it rotates it) and the byte offset just past the last line delivered.
/// </summary>
public readonly record struct LogCursor(ulong Inode, long Offset)
{
    public static LogCursor Start => default;
}

/// <summary>One line of a container's output and the cursor just past it (save it once the line is safe elsewhere).</summary>
public readonly record struct OutputLine(string Stream, string Text, LogCursor Cursor);

/// <summary>Receives a container's output with the position of each line in its log file.</summary>
public delegate void PositionedOutputHandler(OutputLine line);

/// <summary>A started container.</summary>
public sealed class RunningContainer(string id, string? ipAddress, int? hostPort, int pid, Task<ContainerExit> exited)
{
    public string Id { get; } = id;
    /// <summary>The container's own address on the host bridge, when it has a network.</summary>
    public string? IpAddress { get; } = ipAddress;
    /// <summary>The host port mapped to <see cref="ContainerSpec.ContainerPort"/>.</summary>
    public int? HostPort { get; } = hostPort;
    /// <summary>Host PID of the container's first process.</summary>
    public int Pid { get; } = pid;
    /// <summary>Completes when the container's process ends (all output delivered first).</summary>
    public Task<ContainerExit> Exited { get; } = exited;
}

/// <summary>
/// Runs containers through a real OCI runtime (crun, or runc where crun cannot run), the way
/// Garden-runC's gardener composes a containerizer, a networker and a volumizer.
/// </summary>
public interface ISandbox
{
    /// <summary>The OCI runtime in use ("crun" or "runc"), for logs and benchmarks.</summary>
    string RuntimeName { get; }

    /// <summary>Builds the rootfs, network and bundle, and starts the process.</summary>
    Task<RunningContainer> StartAsync(ContainerSpec spec, OutputLineHandler output, CancellationToken cancellationToken);

    /// <summary>
    /// Kills the process (SIGTERM, then SIGKILL after the grace period) and removes everything the
    /// container had: runtime state, cgroups, mounts, network devices and rules, directories.
    /// Idempotent: destroying an unknown or already destroyed id succeeds.
    /// </summary>
    Task DestroyAsync(string id, TimeSpan gracePeriod, CancellationToken cancellationToken);

    /// <summary>Ids of the containers this sandbox has on the host (to restore or clean up at start).</summary>
    Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Starts like <see cref="StartAsync(ContainerSpec, OutputLineHandler, CancellationToken)"/>, delivering each line
    /// with its position in the container's log file, so that a restarted owner can resume exactly after it.
    /// </summary>
    Task<RunningContainer> StartAsync(ContainerSpec spec, PositionedOutputHandler output, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} cannot deliver positioned output");

    /// <summary>
    /// Takes over a container an earlier process started (its monitor kept it running meanwhile): resumes reading its
    /// log after the last saved cursor (<see cref="SaveLogCursor"/>) and watches for its exit, which may already have
    /// happened (<see cref="AdoptedContainer.ExitedMeanwhile"/>). <paramref name="output"/> is given the container's
    /// annotations and returns where its lines go, or null to leave the container alone. Null when the container is
    /// not one that can be adopted (unknown, or never finished starting: destroy it) or was declined.
    /// </summary>
    Task<AdoptedContainer?> AdoptAsync(string id, Func<IReadOnlyDictionary<string, string>, PositionedOutputHandler?> output,
        CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} cannot adopt containers");

    /// <summary>
    /// Stops watching every container without touching any (the process is about to exit and leave them running
    /// under their monitors). Their <see cref="RunningContainer.Exited"/> tasks are cancelled.
    /// </summary>
    void ReleaseAll() { }

    /// <summary>Records that the container's output up to <paramref name="cursor"/> has been handled (atomically, on disk).</summary>
    void SaveLogCursor(string id, LogCursor cursor) => throw new NotSupportedException($"{GetType().Name} keeps no log cursors");

    /// <summary>
    /// Adds read-only layer directories (bottom first) to the rootfs of a running container started with
    /// <see cref="ContainerSpec.AcceptsLayersWhileRunning"/>, as if they had been among its layers from the start: what
    /// a layer has and the container lacks appears (mounted read-only), a file the container has is shadowed. Returns
    /// how many entries were mounted or linked.
    /// </summary>
    /// <exception cref="SandboxException">The container is not running, does not accept layers, or a layer conflicts with it
    /// (a directory where the container has a file).</exception>
    Task<int> AddLayersAsync(string id, IReadOnlyList<string> layers, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} cannot add layers to running containers");

    /// <summary>
    /// Bind-mounts host directories or files into a running container started with
    /// <see cref="ContainerSpec.AcceptsLayersWhileRunning"/> (read-write or read-only, nosuid, nodev), as
    /// <see cref="ContainerSpec.Mounts"/> would have at its start. Missing directories on the way to a destination are
    /// made (owned by root, 0755) and the destination itself is made as an empty directory or file; no link in the
    /// container is followed on the way. Mounts made later beneath one of these also reach the container.
    /// </summary>
    Task AddMountsAsync(string id, IReadOnlyList<BindMount> mounts, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} cannot add mounts to running containers");

    /// <summary>
    /// Runs <paramref name="command"/> (argv) inside a running container as its own process runs (user, environment,
    /// working directory, limits), with <paramref name="environment"/> set on top of its environment (null: none), no
    /// stdin, streaming its output; returns its exit code (128+N for signal N).
    /// </summary>
    Task<int> ExecAsync(string id, IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment,
        Exec.ExecOutputHandler output, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} cannot run commands in containers");
}

/// <summary>A container taken over from an earlier process, with what its creator recorded about it.</summary>
/// <param name="ExitedMeanwhile">True when the container had already ended when it was adopted (its exit is recorded).</param>
public sealed record AdoptedContainer(RunningContainer Container, IReadOnlyDictionary<string, string> Annotations,
    DateTimeOffset CreatedAt, bool ExitedMeanwhile);
