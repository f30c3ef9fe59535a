using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Cell.Health;
using Platform.Contracts;
using Platform.Contracts.Messages;
using Platform.Sandbox;

namespace Platform.Cell;

/// <summary>
/// Runs this cell's instances: fetches their layers, starts each in the sandbox, health-checks its
/// port, reports state changes, and tears it down on stop or crash. Every operation is idempotent so
/// a redelivered command does no harm, also across a restart of the cell agent: instances run under their
/// monitors without the agent, and a new agent re-adopts them (<see cref="RestoreAsync"/>) before it handles
/// any command.
/// </summary>
public sealed class InstanceManager(
    ISandbox sandbox,
    DropletLayers layers,
    LogShipper logs,
    IMessageDispatcher dispatcher,
    CellReportClock clock,
    IOptions<CellOptions> options,
    TimeProvider time,
    ILogger<InstanceManager> logger)
{
    private readonly ConcurrentDictionary<Guid, Instance> _instances = new();
    private readonly CellOptions _options = options.Value;

    /// <summary>
    /// Every change of an instance's state, its arrival and its departure take a version under this lock, and so does
    /// a heartbeat's snapshot: a snapshot at version V holds exactly the instances this cell had at V.
    /// </summary>
    private readonly Lock _gate = new();

    /// <summary>
    /// Instances that ended, reported in this many more heartbeats with how they ended: should the state change be
    /// lost or overtaken on the bus, the heartbeat still says "killed by signal 9", not merely that the instance is gone.
    /// </summary>
    public const int EndedReportHeartbeats = 3;
    private readonly Dictionary<Guid, (InstanceReport Report, int HeartbeatsLeft)> _ended = new();

    /// <summary>Sandbox ids of instances all start with this, so the cell can tell its own from others'.</summary>
    public const string ContainerPrefix = "i-";

    public static string ContainerId(Guid instanceId) => ContainerPrefix + instanceId.ToString("N");

    /// <summary>The container annotation holding the StartInstance (JSON) an instance was started for.</summary>
    public const string StartAnnotation = "platform.start-instance";

    private Task? _restore;
    private readonly object _restoreGate = new();
    private volatile bool _released;

    private sealed class Instance(StartInstance start)
    {
        public StartInstance Start { get; } = start;
        public InstanceState State { get; set; } = InstanceState.Starting;
        public string? Address { get; set; }
        public string? HostAddress { get; set; }
        public string? Reason { get; set; }
        public int? ExitCode { get; set; }
        public ReportVersion Version { get; set; }
        public volatile bool Stopping;
        public readonly CancellationTokenSource StartCancel = new();
        public Task? Run;
        /// <summary>The stop in progress, once a StopInstance came.</summary>
        public Task? Stop;
        public LogCheckpoint? Checkpoint;
    }

    /// <summary>What this cell runs now, with the instances that ended lately, and the version the list was taken at.</summary>
    public (IReadOnlyList<InstanceReport> Instances, ReportVersion Version) Snapshot()
    {
        lock (_gate)
        {
            var reports = _instances.Values.Select(ReportOf).ToList();
            foreach (var (id, (report, left)) in _ended.ToList())
            {
                if (!_instances.ContainsKey(id)) reports.Add(report);
                if (left <= 1) _ended.Remove(id);
                else _ended[id] = (report, left - 1);
            }
            return (reports, clock.Next());
        }
    }

    private static InstanceReport ReportOf(Instance i) => new(
        i.Start.InstanceId, i.Start.AppId, i.Start.Index, i.State, i.Address, i.HostAddress, i.Reason, i.Version, i.ExitCode);

    /// <summary>Adds an instance (started or adopted) under a new version; false when the id is here already.</summary>
    private bool TryAdd(Instance instance, bool replace = false)
    {
        lock (_gate)
        {
            if (!replace && _instances.ContainsKey(instance.Start.InstanceId)) return false;
            instance.Version = clock.Next();
            _instances[instance.Start.InstanceId] = instance;
            _ended.Remove(instance.Start.InstanceId);
            return true;
        }
    }

    /// <summary>
    /// Moves an instance to <paramref name="state"/> under a new version; an instance that ended leaves the list and is
    /// reported as ended for <see cref="EndedReportHeartbeats"/> heartbeats. Returns the state change to publish.
    /// </summary>
    private InstanceStateChanged Change(Instance i, InstanceState state, string? reason = null, int? exitCode = null)
    {
        lock (_gate)
        {
            i.State = state;
            if (reason is not null) i.Reason = reason;
            i.ExitCode = exitCode;
            i.Version = clock.Next();
            if (state is InstanceState.Crashed or InstanceState.Stopped)
            {
                _instances.TryRemove(i.Start.InstanceId, out _);
                _ended[i.Start.InstanceId] = (ReportOf(i), EndedReportHeartbeats);
            }
            return MessageOf(i);
        }
    }

    private InstanceStateChanged MessageOf(Instance i) =>
        new(i.Start.InstanceId, i.Start.AppId, i.Start.Index, _options.Id, i.State, i.Address, i.HostAddress, i.Reason,
            i.ExitCode, i.Version, time.GetUtcNow());

    public bool IsRunning(Guid instanceId) => _instances.TryGetValue(instanceId, out var i) && i.State == InstanceState.Running;

    /// <summary>The disk limit an instance of this cell was started with, or null when it is not here (for metrics).</summary>
    public int? DiskMbOf(Guid instanceId) => _instances.TryGetValue(instanceId, out var i) ? i.Start.DiskMb : null;

    public int ReservedMemoryMb => _instances.Values.Sum(i => i.Start.MemoryMb);

    public int ReservedDiskMb => _instances.Values.Sum(i => i.Start.DiskMb);

    /// <summary>Instances starting or running here (not those being stopped).</summary>
    public int LiveCount => _instances.Values.Count(i => !i.Stopping && i.State is InstanceState.Starting or InstanceState.Running);

    public int Count => _instances.Count;

    /// <summary>Starts the instance in the background; a second call for the same id only reports it again.</summary>
    public async Task StartAsync(StartInstance start, CancellationToken cancellationToken)
    {
        // A StartInstance redelivered after a restart must find the instance the earlier agent started.
        await RestoreAsync(cancellationToken);
        var instance = NewInstance(start);
        if (!TryAdd(instance))
        {
            // Reported again as it is, with the version of its last change: nothing new for the scheduler.
            if (_instances.TryGetValue(start.InstanceId, out var known))
                await dispatcher.DispatchAsync(MessageOf(known), null, cancellationToken);
            return;
        }
        await dispatcher.DispatchAsync(MessageOf(instance), null, cancellationToken);
        // The start (layer downloads, health check) may take a minute: it must not hold the bus consumer.
        instance.Run = Task.Run(() => RunAsync(instance), CancellationToken.None);
    }

    /// <summary>Stops the instance and waits until it is gone (reported STOPPED). Idempotent.</summary>
    public async Task StopAsync(StopInstance stop, CancellationToken cancellationToken) =>
        await (await BeginStopAsync(stop, cancellationToken)).WaitAsync(cancellationToken);

    /// <summary>
    /// Starts stopping the instance and returns the task that ends when it is gone: the bus consumer returns at once, so
    /// a drain (<see cref="StopInstance.DrainMilliseconds"/>) and the SIGTERM grace period of one instance do not hold up
    /// the commands for others. A second stop of the same instance gets the same task.
    /// </summary>
    public async Task<Task> BeginStopAsync(StopInstance stop, CancellationToken cancellationToken)
    {
        await RestoreAsync(cancellationToken);
        if (!_instances.TryGetValue(stop.InstanceId, out var instance))
        {
            // Unknown here (never started, or already gone): make sure nothing is left and confirm.
            await sandbox.DestroyAsync(ContainerId(stop.InstanceId), TimeSpan.Zero, cancellationToken);
            await dispatcher.DispatchAsync(new InstanceStateChanged(stop.InstanceId, Guid.Empty, -1, _options.Id,
                InstanceState.Stopped, null, null, stop.Reason, null, clock.Next(), time.GetUtcNow()), null, cancellationToken);
            return Task.CompletedTask;
        }
        lock (_gate)
        {
            if (instance.Stop is { } stopping) return stopping;
            instance.Stopping = true;
            instance.Reason = stop.Reason;
            return instance.Stop = Task.Run(() => StopCoreAsync(instance, stop), CancellationToken.None);
        }
    }

    private async Task StopCoreAsync(Instance instance, StopInstance stop)
    {
        // Routers were told to drop it; let them, and let what is in flight finish, before SIGTERM: as long as the
        // scheduler asks (a deployment's drain) or this cell is set to (Cell:DrainSeconds), whichever is longer.
        var drain = Math.Min(Math.Max(stop.DrainMilliseconds, _options.DrainSeconds * 1000), 60_000);
        if (drain > 0 && instance.State == InstanceState.Running)
            await Task.Delay(TimeSpan.FromMilliseconds(drain), time, CancellationToken.None);
        await instance.StartCancel.CancelAsync();
        await sandbox.DestroyAsync(ContainerId(stop.InstanceId), TimeSpan.FromSeconds(_options.StopGraceSeconds), CancellationToken.None);
        if (instance.Run is { } run) await run;
        await dispatcher.DispatchAsync(Change(instance, InstanceState.Stopped), null, CancellationToken.None);
        logs.Write(instance.Start.AppId, "CELL", instance.Start.Index, "OUT",
            $"Stopped app instance (index {instance.Start.Index}) with guid {instance.Start.InstanceId}");
    }

    /// <summary>
    /// Re-adopts the instances an earlier run of this cell agent left running (once; later calls wait for that):
    /// each container whose recorded StartInstance says which app, index and droplet it is for is watched again,
    /// with the same instance id and process, its log read on from where the last agent had shipped it. One that
    /// ended meanwhile is reported as crashed with its recorded exit. Only what cannot be adopted (half-created
    /// containers, containers without a StartInstance) is destroyed.
    /// </summary>
    public Task RestoreAsync(CancellationToken cancellationToken)
    {
        lock (_restoreGate) _restore ??= Task.Run(() => RestoreCoreAsync(CancellationToken.None), CancellationToken.None);
        return _restore.WaitAsync(cancellationToken);
    }

    private async Task RestoreCoreAsync(CancellationToken cancellationToken)
    {
        var adoptedCount = 0;
        var probes = new List<Task>();
        foreach (var id in await sandbox.ListAsync(cancellationToken))
        {
            if (!id.StartsWith(ContainerPrefix, StringComparison.Ordinal)) continue;
            // One container that cannot be handled must not keep the cell from adopting the others, or from starting.
            try
            {
                if (await RestoreOneAsync(id, cancellationToken) is { } probe)
                {
                    adoptedCount++;
                    probes.Add(probe);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "restoring instance container {Id} failed", id);
            }
        }
        await Task.WhenAll(probes);
        if (adoptedCount > 0) logger.LogInformation("cell {CellId} re-adopted {Count} instances", _options.Id, adoptedCount);
    }

    /// <summary>Adopts one container: null when it was destroyed or had ended, else the task probing and then supervising it.</summary>
    private async Task<Task?> RestoreOneAsync(string id, CancellationToken cancellationToken)
    {
        Instance? instance = null;
        AdoptedContainer? adopted = null;
        try
        {
            adopted = await sandbox.AdoptAsync(id, annotations =>
            {
                if (!annotations.TryGetValue(StartAnnotation, out var json)) return null;
                var start = JsonSerializer.Deserialize<StartInstance>(json);
                if (start is null || ContainerId(start.InstanceId) != id) return null;
                instance = NewInstance(start);
                return OutputOf(instance);
            }, cancellationToken);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            logger.LogWarning(e, "instance container {Id} cannot be adopted", id);
        }
        if (adopted is null || instance is null)
        {
            logger.LogInformation("destroying instance container {Id}: it cannot be adopted (half created or not an instance)", id);
            await sandbox.DestroyAsync(id, TimeSpan.Zero, cancellationToken);
            return null;
        }
        var container = adopted.Container;
        instance.Address = $"{container.IpAddress}:{_options.AppPort}";
        instance.HostAddress = container.HostPort is { } hp ? $"{_options.Host}:{hp}" : null;
        TryAdd(instance, replace: true);
        if (adopted.ExitedMeanwhile)
        {
            // Ended while no agent watched: report it now, before the first heartbeat, with how it ended.
            var exit = await container.Exited.WaitAsync(TimeSpan.FromSeconds(15), cancellationToken);
            logger.LogInformation("instance {InstanceId} ended while the cell agent was away: {Exit}", instance.Start.InstanceId, exit);
            await CrashAsync(instance, exit.ToString(), exit.ExitCode);
            return null;
        }
        // Listening already (it was RUNNING before): the first heartbeat reports it RUNNING, as before the restart.
        return ProbeThenSuperviseAsync(instance, container);
    }

    private async Task ProbeThenSuperviseAsync(Instance instance, RunningContainer container)
    {
        var healthy = await PassesCheckAsync(instance, container, instance.StartCancel.Token);
        // The first heartbeat reports it RUNNING, as before the restart.
        if (healthy) Change(instance, InstanceState.Running);
        logger.LogInformation("re-adopted instance {InstanceId} of app {App} (index {Index}, pid {Pid}, {State})",
            instance.Start.InstanceId, instance.Start.AppName, instance.Start.Index, container.Pid, instance.State);
        instance.Run = Task.Run(() => SuperviseAsync(instance, container, healthy), CancellationToken.None);
    }

    /// <summary>
    /// Stops watching the instances and leaves them running (cell shutdown for an upgrade): the next agent adopts them.
    /// </summary>
    public void Release()
    {
        _released = true;
        sandbox.ReleaseAll();
        logger.LogInformation("cell {CellId} leaves {Count} instances running", _options.Id, _instances.Count);
    }

    private Instance NewInstance(StartInstance start)
    {
        var instance = new Instance(start);
        var id = ContainerId(start.InstanceId);
        instance.Checkpoint = new LogCheckpoint(cursor => sandbox.SaveLogCursor(id, cursor));
        return instance;
    }

    private PositionedOutputHandler OutputOf(Instance instance)
    {
        var start = instance.Start;
        var checkpoint = instance.Checkpoint!;
        return line => logs.Write(start.AppId, "APP/PROC/WEB", start.Index, line.Stream, line.Text, checkpoint, line.Cursor);
    }

    /// <summary>Stops every instance (cell shutdown).</summary>
    public async Task StopAllAsync(CancellationToken cancellationToken)
    {
        var stops = new List<Task>();
        foreach (var i in _instances.Values.ToArray())
            stops.Add(await BeginStopAsync(new StopInstance(i.Start.InstanceId, _options.Id, "cell shutting down"), cancellationToken));
        await Task.WhenAll(stops).WaitAsync(cancellationToken);
    }

    private async Task RunAsync(Instance instance)
    {
        var start = instance.Start;
        var id = ContainerId(start.InstanceId);
        var ct = instance.StartCancel.Token;
        try
        {
            logs.Write(start.AppId, "CELL", start.Index, "OUT",
                $"Creating container for app {start.AppName}, instance {start.Index}, guid {start.InstanceId}");
            var layerDirs = await layers.FetchAsync(start.Droplet.Layers, ct);
            var spec = new ContainerSpec
            {
                Id = id,
                Layers = layerDirs,
                Args = InstanceEnvironment.LaunchArgs(start.Droplet.StartCommand),
                Env = InstanceEnvironment.For(start, _options.AppPort),
                WorkingDir = InstanceEnvironment.AppDir,
                Hostname = start.InstanceId.ToString(),
                MemoryLimitBytes = (long)start.MemoryMb * 1024 * 1024,
                // The writable layer is a filesystem of this size: writing past -k gets ENOSPC.
                DiskLimitBytes = (long)start.DiskMb * 1024 * 1024,
                // vcap, who owns /home/vcap in the droplet: an unprivileged user has no capabilities at all.
                User = new ContainerUser(InstanceEnvironment.VcapUid, InstanceEnvironment.VcapGid),
                ContainerPort = _options.AppPort,
                // The instance's own egress rules (its application security groups) on top of the cell's defaults.
                Egress = start.Egress,
                Mounts = Volumes.InstanceVolumes.Prepare(start, _options),
                // What a restarted agent needs to adopt the instance: which app, index and droplet it is for.
                Annotations = new Dictionary<string, string> { [StartAnnotation] = JsonSerializer.Serialize(start) },
            };
            var container = await sandbox.StartAsync(spec, OutputOf(instance), ct);
            instance.Address = $"{container.IpAddress}:{_options.AppPort}";
            instance.HostAddress = container.HostPort is { } hp ? $"{_options.Host}:{hp}" : null;
            logs.Write(start.AppId, "CELL", start.Index, "OUT",
                $"Started process (pid {container.Pid}) with {sandbox.RuntimeName}; waiting for its {(start.HealthCheck ?? HealthProbe.Default).Type} health check");
            await SuperviseAsync(instance, container, healthy: false);
        }
        catch (OperationCanceledException) when (instance.Stopping || _released)
        {
        }
        catch (HealthCheckTimeoutException e)
        {
            if (!instance.Stopping) await CrashAsync(instance, e.Message, null);
        }
        catch (Exception e)
        {
            logger.LogError(e, "instance {InstanceId} of app {App} failed to start", start.InstanceId, start.AppName);
            if (!instance.Stopping && !_released) await CrashAsync(instance, "failed to start: " + e.Message, null);
        }
    }

    /// <summary>
    /// Health-checks the instance until it passes its check (readiness: RUNNING, and so routed, only then), unless it
    /// passed already, then keeps checking it every Cell:LivenessIntervalSeconds until it ends: an instance that fails
    /// its check Cell:LivenessFailures times in a row is taken down as crashed ("health check failed: ..."), which takes it
    /// out of the routes at once and lets the scheduler replace it.
    /// </summary>
    private async Task SuperviseAsync(Instance instance, RunningContainer container, bool healthy)
    {
        var start = instance.Start;
        var check = start.HealthCheck ?? HealthProbe.Default;
        var ct = instance.StartCancel.Token;
        try
        {
            if (!healthy)
            {
                healthy = await WaitUntilHealthyAsync(instance, container, check, ct);
                if (healthy)
                {
                    var running = Change(instance, InstanceState.Running);
                    logs.Write(start.AppId, "CELL", start.Index, "OUT", $"Container became healthy: {check.Type} health check passed on {instance.Address}");
                    await dispatcher.DispatchAsync(running, null, CancellationToken.None);
                }
            }

            if (healthy && check.Type != HealthChecks.Process && await WatchLivenessAsync(container, check, ct) is { } failure)
            {
                if (instance.Stopping) return;
                // Its process still runs and still takes requests: out of the routes first (routers apply the report at
                // once), then destroyed, so no request is sent to a container that is being torn down.
                await CrashAsync(instance, "health check failed: " + failure, null, reportFirst: true);
                return;
            }
            var exit = await container.Exited;
            if (instance.Stopping) return;
            await CrashAsync(instance, healthy ? exit.ToString() : $"health check failed: {exit}", exit.ExitCode);
        }
        // Stopped by a StopInstance, or released at shutdown (the container runs on for the next agent).
        catch (OperationCanceledException) when (instance.Stopping || _released)
        {
        }
        catch (HealthCheckTimeoutException e)
        {
            if (!instance.Stopping) await CrashAsync(instance, e.Message, null);
        }
        catch (Exception e)
        {
            logger.LogError(e, "instance {InstanceId} of app {App} failed", start.InstanceId, start.AppName);
            if (!instance.Stopping && !_released) await CrashAsync(instance, "failed: " + e.Message, null);
        }
    }

    /// <summary>
    /// Checks the running instance until it ends (null: it exited; its exit is reported as such) or fails its check
    /// <see cref="CellOptions.LivenessFailures"/> times in a row (the last failure).
    /// </summary>
    private async Task<string?> WatchLivenessAsync(RunningContainer container, HealthCheck check, CancellationToken ct)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(0.1, _options.LivenessIntervalSeconds));
        var failures = 0;
        while (true)
        {
            await Task.WhenAny(container.Exited, Task.Delay(interval, time, ct));
            ct.ThrowIfCancellationRequested();
            if (container.Exited.IsCompleted) return null;
            var probe = await HealthProbe.CheckAsync(check, container.IpAddress, _options.AppPort, ct, HealthProbe.LivenessTimeout);
            if (container.Exited.IsCompleted) return null;
            if (probe.Healthy)
            {
                failures = 0;
                continue;
            }
            if (++failures >= Math.Max(1, _options.LivenessFailures)) return probe.Failure;
        }
    }

    /// <summary>
    /// Does the (adopted) instance pass its app's health check now? Three looks, so a loaded host's slow answer does not
    /// make an instance that served a moment ago look as if it were still starting.
    /// </summary>
    private async Task<bool> PassesCheckAsync(Instance instance, RunningContainer container, CancellationToken ct)
    {
        var check = instance.Start.HealthCheck ?? HealthProbe.Default;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (container.IpAddress is null || container.Exited.IsCompleted) return false;
            if ((await HealthProbe.CheckAsync(check, container.IpAddress, _options.AppPort, ct)).Healthy) return true;
        }
        return false;
    }

    /// <param name="reportFirst">Report CRASHED before destroying the container (an instance whose process still serves:
    /// routers drop it before it goes); else after, so that a CRASHED instance is one whose container is gone.</param>
    private async Task CrashAsync(Instance instance, string reason, int? exitCode, bool reportFirst = false)
    {
        var start = instance.Start;
        logs.Write(start.AppId, "CELL", start.Index, "ERR", $"App instance exited with guid {start.InstanceId}: {reason}");
        if (reportFirst)
        {
            await dispatcher.DispatchAsync(Change(instance, InstanceState.Crashed, reason, exitCode), null, CancellationToken.None);
            // Reported is not yet dropped: routers apply the report as it reaches them, and requests in flight finish.
            if (_options.UnhealthyDrainSeconds > 0)
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(_options.UnhealthyDrainSeconds, 60)), time, CancellationToken.None);
        }
        try { await sandbox.DestroyAsync(ContainerId(start.InstanceId), TimeSpan.Zero, CancellationToken.None); }
        catch (Exception e)
        {
            // The crash is reported all the same; what is left is destroyed by the next StopInstance or restore.
            logger.LogError(e, "could not destroy the container of crashed instance {InstanceId}", start.InstanceId);
        }
        if (!reportFirst) await dispatcher.DispatchAsync(Change(instance, InstanceState.Crashed, reason, exitCode), null, CancellationToken.None);
    }

    /// <summary>
    /// Readiness: probes every 50 ms until the check passes (true), the container exits (false), or the app's health
    /// check timeout (else Cell:HealthCheckTimeoutSeconds) passes (HealthCheckTimeoutException naming the last failure).
    /// </summary>
    private async Task<bool> WaitUntilHealthyAsync(Instance instance, RunningContainer container, HealthCheck check, CancellationToken ct)
    {
        var timeout = check.TimeoutSeconds ?? _options.HealthCheckTimeoutSeconds;
        var deadline = time.GetUtcNow().AddSeconds(timeout);
        string? failure = null;
        while (!container.Exited.IsCompleted)
        {
            ct.ThrowIfCancellationRequested();
            var probe = await HealthProbe.CheckAsync(check, container.IpAddress, _options.AppPort, ct);
            if (probe.Healthy) return !container.Exited.IsCompleted;
            failure = probe.Failure;
            if (time.GetUtcNow() > deadline)
                throw new HealthCheckTimeoutException($"health check failed: {check.Type} health check did not pass within {timeout} s ({failure})");
            await Task.WhenAny(container.Exited, Task.Delay(TimeSpan.FromMilliseconds(50), time, ct));
        }
        return false;
    }

    private sealed class HealthCheckTimeoutException(string message) : Exception(message);
}
