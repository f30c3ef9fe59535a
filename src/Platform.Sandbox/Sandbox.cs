using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Sandbox.Cgroups;
using Platform.Sandbox.Monitor;
using Platform.Sandbox.Network;
using Platform.Sandbox.Rootfs;
using Platform.Sandbox.Runtime;

namespace Platform.Sandbox;

/// <summary>
/// Runs containers with a real OCI runtime: an overlay rootfs of the spec's layers (the volumizer), a network
/// namespace on the host bridge (the networker), and a bundle whose config.json carries the namespaces, limits
/// and mounts (the containerizer). Everything a container has is recorded under Root/containers/&lt;id&gt;, so a
/// restarted process can list and destroy what an earlier one left.
/// </summary>
public sealed partial class Sandbox : ISandbox
{
    private readonly SandboxOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly OciRuntime _runtime;
    private readonly Networker _networker;
    private readonly CgroupReader _cgroups;
    private readonly string _containersDirectory;
    private readonly bool _setSwapLimit;
    private readonly int _openFilesLimit;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();
    // Serialises the read-modify-writes of one container's state.json (its starter and its exit watcher race).
    private readonly ConcurrentDictionary<string, object> _stateGates = new();
    private object StateGate(string id) => _stateGates.GetOrAdd(id, _ => new object());
    private readonly ConcurrentDictionary<string, LiveContainer> _live = new();
    private readonly ConmonMonitor _monitor;

    /// <summary>
    /// A container this process watches (started or adopted): its exit task and log reader are in memory.
    /// <paramref name="StopReading"/> ends the log reader when the container is destroyed.
    /// </summary>
    /// <param name="Notified">Its monitor's end is told by the <see cref="ProcessExitNotifier"/> (else only polls see it).</param>
    private sealed record LiveContainer(int Pid, Task<ContainerExit> Exited, CancellationTokenSource StopReading, WatchPace Pace, bool Notified);

    public Sandbox(IOptions<SandboxOptions> options, ILogger<Sandbox>? logger = null, TimeProvider? timeProvider = null)
    {
        _options = options.Value;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        var layout = CgroupLayout.Detect();
        _cgroups = new CgroupReader(layout);
        _runtime = OciRuntime.Detect(_options, layout, _logger);
        _networker = new Networker(_options.Network, Path.Combine(_options.Root, "network"), _logger);
        _containersDirectory = Path.Combine(_options.Root, "containers");
        Directory.CreateDirectory(_containersDirectory);
        Directory.CreateDirectory(_runtime.StateDirectory);
        _setSwapLimit = SwapAccountingEnabled(layout);
        _openFilesLimit = Math.Min(_options.OpenFilesLimit, HostOpenFilesHardLimit());
        _monitor = new ConmonMonitor(_options, _runtime, _time, _logger);
        // Each container's monitor (conmon) detaches from us; as a subreaper we stay its parent while we live and
        // collect its end, rather than leaving a zombie to a PID 1 that may not reap. Exit statuses come from the
        // monitors' exit files, not from us.
        if (!ProcessExit.EnsureSubreaper())
            _logger.LogWarning("Could not become a child subreaper: exited container monitors are left to PID 1 to reap");
        if (!string.IsNullOrEmpty(_options.InitPath) && !File.Exists(_options.InitPath))
            throw new SandboxException($"Sandbox:InitPath {_options.InitPath} does not exist");
    }

    public string RuntimeName => _runtime.Name;
    public OciRuntime Runtime => _runtime;
    public Networker Networker => _networker;
    public CgroupReader Cgroups => _cgroups;

    /// <summary>Where a container's files are (its upper dir holds everything it wrote).</summary>
    public ContainerPaths PathsOf(string id) => new(_containersDirectory, ValidateId(id));

    public static string CgroupsPathFor(string id) => $"/platform/{id}";

    public Task<RunningContainer> StartAsync(ContainerSpec spec, OutputLineHandler output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        return StartAsync(spec, line => output(line.Stream, line.Text), cancellationToken);
    }

    public async Task<RunningContainer> StartAsync(ContainerSpec spec, PositionedOutputHandler output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        Validate(spec);
        var id = spec.Id;
        var paths = PathsOf(id);
        var gate = _locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var runtime = RuntimeToCreate(spec);
            if (Directory.Exists(paths.Directory) || runtime.HasState(id))
                throw new SandboxException($"container {id} already exists: destroy it first");
            Directory.CreateDirectory(paths.Directory);
            var info = new ContainerInfo
            {
                Id = id,
                Runtime = runtime.Name,
                CgroupsPath = CgroupsPathFor(id),
                CreatedAt = _time.GetUtcNow(),
                Phase = ContainerPhase.Creating,
                Annotations = spec.Annotations.Count > 0 ? new Dictionary<string, string>(spec.Annotations) : null,
            };
            info.TryWrite(paths);
            try
            {
                return await CreateAndStartAsync(spec, paths, info, output, cancellationToken);
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Starting container {Id} failed; removing what was created", id);
                try { await TeardownAsync(id, TimeSpan.Zero, CancellationToken.None); }
                catch (Exception cleanup) { _logger.LogError(cleanup, "Cleaning up container {Id} after a failed start failed", id); }
                throw;
            }
        }
        finally { gate.Release(); }
    }

    private async Task<RunningContainer> CreateAndStartAsync(
        ContainerSpec spec, ContainerPaths paths, ContainerInfo info, PositionedOutputHandler output, CancellationToken cancellationToken)
    {
        var id = spec.Id;
        var began = Stopwatch.GetTimestamp();
        // The network (a few forks of ip and iptables) is made while the overlay is mounted and the bundle written:
        // its address and namespace path are known once reserved.
        var pending = spec.ContainerPort is { } port ? await _networker.BeginCreateAsync(id, port, spec.Egress, cancellationToken) : null;
        var network = pending?.Network;
        info = info with { Network = network, AcceptsLayers = spec.AcceptsLayersWhileRunning };
        info.TryWrite(paths);
        try
        {
            await WritableLayer.CreateAsync(paths.Disk, paths.DiskImage, spec.DiskLimitBytes, cancellationToken);
            OverlayRootfs.Mount(spec.Layers, paths.Upper, paths.Work, paths.Rootfs);
            // Shared, so that what AddLayersAsync mounts beneath it reaches the container's copy (a slave: see the bundle).
            if (spec.AcceptsLayersWhileRunning) OverlayRootfs.MakeShared(paths.Rootfs);
            await WriteEtcFilesAsync(spec, paths, network, cancellationToken);
            await BundleWriter.WriteAsync(spec, paths, new BundleSettings(
                info.CgroupsPath, network?.NamespacePath, _setSwapLimit && spec.MemoryLimitBytes > 0, _openFilesLimit,
                string.IsNullOrEmpty(_options.InitPath) ? null : _options.InitPath, _options.DefaultPidsLimit, _options.CpuQuotaPercent), cancellationToken);
        }
        catch
        {
            if (pending is not null)
                try { await pending.Ready; } catch { /* the first failure is the one to report */ }
            throw;
        }
        var mounted = Stopwatch.GetElapsedTime(began);
        if (pending is not null) await pending.Ready;
        var networked = Stopwatch.GetElapsedTime(began);

        var launch = await MonitorFor(RuntimeFor(info.Runtime)).CreateAsync(paths, cancellationToken);
        var launched = Stopwatch.GetElapsedTime(began);
        info = info with
        {
            Pid = launch.InitPid, PidStartTime = launch.InitStartTime,
            MonitorPid = launch.MonitorPid, MonitorStartTime = launch.MonitorStartTime,
        };
        // Created and started in one runtime call under the monitor, which holds its stdio (see ConmonMonitor).
        info = info with { Phase = ContainerPhase.Running };
        lock (StateGate(id))
        {
            // A process that exits at once may already be recorded as exited by its watcher: keep that.
            if (ContainerInfo.TryRead(paths) is not { Phase: ContainerPhase.Exited }) info.TryWrite(paths);
        }
        var live = Watch(paths, info, LogCursor.Start, output);
        _logger.LogInformation("Started container {Id} (pid {Pid}, monitor {Monitor}, {Address}:{HostPort}) in {Ms:F1} ms: " +
                               "rootfs and bundle by {Rootfs:F1}, network by {Network:F1}, monitor and runtime {Launch:F1}",
            id, launch.InitPid, launch.MonitorPid, network?.IpAddress, network?.HostPort, Stopwatch.GetElapsedTime(began).TotalMilliseconds,
            mounted.TotalMilliseconds, networked.TotalMilliseconds, (launched - networked).TotalMilliseconds);
        return new RunningContainer(id, network?.IpAddress, network?.HostPort, launch.InitPid, live.Exited);
    }

    /// <summary>
    /// Follows the container's log from <paramref name="from"/> and waits for its monitor's exit file. The exit task
    /// completes once every line the container wrote has been delivered.
    /// </summary>
    private LiveContainer Watch(ContainerPaths paths, ContainerInfo info, LogCursor from, PositionedOutputHandler output)
    {
        var stopReading = CancellationTokenSource.CreateLinkedTokenSource(_release.Token);
        var exitSeen = new TaskCompletionSource<ContainerExit>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pace = new WatchPace();
        // The monitor exits right after writing the exit file: its end hurries the watchers, which then see it at once.
        // A monitor that died without one (killed) only wakes them: the exit watch then waits on the init instead.
        var notified = info.MonitorPid is { } monitor && ProcessExitNotifier.Shared?.Watch(monitor, info.MonitorStartTime,
            () => { if (File.Exists(MonitorFiles.ExitFile(paths))) pace.Hurry(); else pace.Wake(); }) == true;
        var reader = ContainerLogTail.RunAsync(MonitorFiles.Log(paths), from, output, () => exitSeen.Task.IsCompleted,
            pace, _time, _logger, paths.Id, stopReading.Token);
        var exited = WatchAsync(paths, info, exitSeen, reader, pace, notified, stopReading.Token);
        var live = new LiveContainer(info.Pid ?? 0, exited, stopReading, pace, notified);
        _live[paths.Id] = live;
        return live;
    }

    private async Task<ContainerExit> WatchAsync(ContainerPaths paths, ContainerInfo info,
        TaskCompletionSource<ContainerExit> exitSeen, Task reader, WatchPace pace, bool notified, CancellationToken stopReading)
    {
        var id = paths.Id;
        // Told of the monitor's end (which hurries or wakes this poll), the exit-file poll is only a fallback and can
        // be slow: an idle cell's cost is these polls, per container.
        var exit = await WaitForExitFileAsync(paths, info, pace, TimeSpan.FromMilliseconds(notified ? 10_000 : 100), stopReading);
        exitSeen.TrySetResult(exit);
        pace.Hurry(); // the reader drains the log now rather than at its next slow poll
        // The monitor has written every line before its exit file; bound the wait in case the reader is stuck.
        await Task.WhenAny(reader, Task.Delay(TimeSpan.FromSeconds(10), _time, CancellationToken.None));
        lock (StateGate(id))
        {
            var current = ContainerInfo.TryRead(paths);
            if (current is not null) (current with { Phase = ContainerPhase.Exited, Exit = exit }).TryWrite(paths);
        }
        _logger.LogInformation("Container {Id} (pid {Pid}) {Exit}", id, info.Pid, exit);
        return exit;
    }

    /// <summary>
    /// Polls for the monitor's exit file (cheap: one stat per container every <paramref name="atRest"/>, every 2 ms
    /// once hurried: being stopped, or exited). Should the monitor itself be gone without one (killed), the
    /// container's init is waited for instead: with waitpid when it was reparented to us, else through its pid,
    /// and then its status is unknown.
    /// </summary>
    private async Task<ContainerExit> WaitForExitFileAsync(ContainerPaths paths, ContainerInfo info, WatchPace pace, TimeSpan atRest,
        CancellationToken cancellationToken)
    {
        bool OomKilled() => _cgroups.OomKillCount(info.CgroupsPath) > 0 || File.Exists(MonitorFiles.OomFile(paths));
        var warned = false;
        Task<int?>? orphanStatus = null;
        while (true)
        {
            if (ConmonMonitor.ReadExit(paths, OomKilled) is { } exit)
            {
                await ReapMonitorAsync(info);
                return exit;
            }
            var monitorAlive = info.MonitorPid is not { } m || ProcessExit.IsAlive(m, info.MonitorStartTime);
            if (!monitorAlive)
            {
                if (info.MonitorPid is { } gone) ConmonMonitor.ReapIfChild(gone);
                if (ConmonMonitor.ReadExit(paths, OomKilled) is { } late) return late;
                if (info.Pid is not { } pid) return new ContainerExit(-1, null, OomKilled());
                // Its monitor gone, the init is reparented to the nearest subreaper: us, when this process started
                // the monitor. Then waitpid gives its real status (and reaps it); otherwise its pid is watched and
                // how it ended is unknown.
                orphanStatus ??= ProcessExit.WaitAsync(pid, info.PidStartTime);
                if (orphanStatus.IsCompleted) return ProcessExit.Decode(await orphanStatus, OomKilled());
                if (!warned)
                {
                    _logger.LogWarning("The monitor of container {Id} is gone while its process {Pid} runs: its output is no longer recorded", paths.Id, pid);
                    warned = true;
                }
            }
            try
            {
                var wait = pace.WaitAsync(atRest, _time, cancellationToken);
                if (orphanStatus is not null) await Task.WhenAny(wait, orphanStatus);
                if (orphanStatus is not { IsCompleted: true }) await wait;
            }
            catch (OperationCanceledException) when (!_release.IsCancellationRequested)
            {
                // Destroyed before it exited by itself: whatever the exit file says by now, else killed.
                return ConmonMonitor.ReadExit(paths, OomKilled) ?? new ContainerExit(null, 9, OomKilled());
            }
        }
    }

    /// <summary>The monitor exits right after writing the exit file; collect it if it is our child.</summary>
    private async Task ReapMonitorAsync(ContainerInfo info)
    {
        if (info.MonitorPid is not { } pid) return;
        await ProcessExit.UntilGoneAsync(pid, info.MonitorStartTime, TimeSpan.FromSeconds(1), _time, CancellationToken.None);
        ConmonMonitor.ReapIfChild(pid);
    }

    /// <summary>
    /// Takes over a container an earlier process started: its monitor kept it running (or recorded how it ended)
    /// while nobody watched. Reading resumes at the saved log cursor.
    /// </summary>
    public async Task<AdoptedContainer?> AdoptAsync(string id, Func<IReadOnlyDictionary<string, string>, PositionedOutputHandler?> output,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var paths = PathsOf(id);
        var gate = _locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (_live.ContainsKey(id)) throw new SandboxException($"container {id} is already watched by this process");
            var info = ContainerInfo.TryRead(paths);
            // Half made (the earlier process died while creating it) or not made by a monitor: not adoptable.
            if (info is null || info.Phase == ContainerPhase.Creating || info.MonitorPid is null || info.Pid is not { } pid)
                return null;
            var annotations = (IReadOnlyDictionary<string, string>?)info.Annotations ?? new Dictionary<string, string>();
            if (output(annotations) is not { } handler) return null;
            var exitedMeanwhile = info.Phase == ContainerPhase.Exited || File.Exists(MonitorFiles.ExitFile(paths))
                || (!ProcessExit.IsAlive(info.MonitorPid.Value, info.MonitorStartTime) && !ProcessExit.IsAlive(pid, info.PidStartTime));
            // A new agent's host network setup flushed the cell's chains, and with them the jump to its own rules.
            if (info.Network is not null && !exitedMeanwhile) await _networker.RestoreEgressAsync(id, cancellationToken);
            var live = Watch(paths, info, LoadLogCursor(paths), handler);
            _logger.LogInformation("Adopted container {Id} (pid {Pid}, monitor {Monitor}{Exited})", id, pid, info.MonitorPid,
                exitedMeanwhile ? ", exited meanwhile" : "");
            var container = new RunningContainer(id, info.Network?.IpAddress, info.Network?.HostPort, pid, live.Exited);
            return new AdoptedContainer(container, annotations, info.CreatedAt, exitedMeanwhile);
        }
        finally { gate.Release(); }
    }

    private readonly CancellationTokenSource _release = new();

    public void ReleaseAll()
    {
        _release.Cancel();
        _logger.LogInformation("Released {Count} containers: they keep running under their monitors", _live.Count);
    }

    public void SaveLogCursor(string id, LogCursor cursor)
    {
        var paths = PathsOf(id);
        var file = MonitorFiles.LogCursorFile(paths);
        lock (StateGate(id))
        {
            if (!File.Exists(paths.State)) return; // destroyed (or being destroyed) meanwhile
            var temp = $"{file}.{Guid.NewGuid():N}.tmp";
            File.WriteAllText(temp, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{cursor.Inode} {cursor.Offset}\n"));
            File.Move(temp, file, overwrite: true);
        }
    }

    private static LogCursor LoadLogCursor(ContainerPaths paths)
    {
        try
        {
            var parts = File.ReadAllText(MonitorFiles.LogCursorFile(paths)).Split(' ', StringSplitOptions.TrimEntries);
            return parts.Length == 2 && ulong.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var inode)
                                     && long.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var offset)
                ? new LogCursor(inode, offset)
                : LogCursor.Start;
        }
        catch (IOException) { return LogCursor.Start; }
    }

    public async Task<int> AddLayersAsync(string id, IReadOnlyList<string> layers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var paths = PathsOf(id);
        var gate = _locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            RequireAcceptsLayers(id, paths);
            var added = LiveLayers.Add(paths.Rootfs, layers);
            _logger.LogInformation("Added {Layers} layers to running container {Id} ({Entries} entries)", layers.Count, id, added);
            return added;
        }
        finally { gate.Release(); }
    }

    public async Task AddMountsAsync(string id, IReadOnlyList<BindMount> mounts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mounts);
        var paths = PathsOf(id);
        var gate = _locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            RequireAcceptsLayers(id, paths);
            foreach (var mount in mounts) LiveLayers.Bind(paths.Rootfs, mount.Source, mount.Destination, mount.ReadOnly);
        }
        finally { gate.Release(); }
    }

    private void RequireAcceptsLayers(string id, ContainerPaths paths)
    {
        var info = ContainerInfo.TryRead(paths);
        if (info is not { Phase: ContainerPhase.Running } || !_live.ContainsKey(id))
            throw new SandboxException($"container {id} is not running");
        if (!info.AcceptsLayers)
            throw new SandboxException($"container {id} was not started to accept layers while running (ContainerSpec.AcceptsLayersWhileRunning)");
    }

    public Task<int> ExecAsync(string id, IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment,
        Exec.ExecOutputHandler output, CancellationToken cancellationToken) =>
        new Exec.ContainerExec(this).RunAsync(id, command, environment, ReadOnlyMemory<byte>.Empty, output, cancellationToken);

    public async Task DestroyAsync(string id, TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        ValidateId(id);
        var gate = _locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try { await TeardownAsync(id, gracePeriod, cancellationToken); }
        finally { gate.Release(); }
    }

    /// <summary>Removes whatever the container has, in the reverse order of creation; each step tolerates absence.</summary>
    private async Task TeardownAsync(string id, TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        var paths = PathsOf(id);
        var info = ContainerInfo.TryRead(paths);
        _live.TryGetValue(id, out var live);

        // The container may have been created with the other runtime (the setting changed across a restart).
        var runtime = RuntimeFor(info?.Runtime);
        var hasState = runtime.HasState(id);
        if (hasState)
        {
            // Its end must be noticed within milliseconds: the notifier does that; without it, the polls are hurried.
            if (live is { Notified: false }) live.Pace.Hurry();
            if (IsRunning(info, live) && gracePeriod > TimeSpan.Zero)
            {
                await SignalAsync(runtime, id, info, 15, cancellationToken);
                await WaitForExitAsync(info, live, gracePeriod, cancellationToken);
            }
            // What outlived the grace period is killed here rather than by `delete --force`, which sleeps 100 ms
            // after its SIGKILL before it looks again (half of every teardown, measured).
            if (info?.Pid is { } pid && ProcessExit.IsAlive(pid, info.PidStartTime))
            {
                await SignalAsync(runtime, id, info, 9, cancellationToken);
                await ProcessExit.UntilGoneAsync(pid, info.PidStartTime, TimeSpan.FromSeconds(5), _time, cancellationToken);
            }
        }
        // The process is gone: the runtime's state and cgroups, the network and the mounts are independent of each
        // other, so they go at the same time (each step is a host command or two; in a row they were most of a teardown).
        var removeState = hasState ? runtime.DeleteAsync(id, cancellationToken) : Task.CompletedTask;
        var removeNetwork = _networker.DestroyAsync(id, info?.Network, cancellationToken);
        try
        {
            if (live is null && info?.Pid is { } orphanPid && ProcessExit.IsAlive(orphanPid, info.PidStartTime))
                Native.Libc.Kill(orphanPid, 9); // running without runtime state (e.g. a lost state root): still ours to stop
            if (live is not null)
            {
                await Task.WhenAny(live.Exited, Task.Delay(TimeSpan.FromSeconds(15), _time, cancellationToken));
                await live.StopReading.CancelAsync();
            }
            if (info?.MonitorPid is { } monitorPid)
                await MonitorFor(runtime).StopAsync(paths, monitorPid, info.MonitorStartTime, cancellationToken);

            runtime.ReapOrphans();
            OverlayRootfs.UnmountAllUnder(paths.Directory);
        }
        finally
        {
            // Waited for even when a step above failed: none may still run when the container's gate is released.
            await Task.WhenAll(removeState, removeNetwork);
        }

        foreach (var dir in _cgroups.DirectoriesOf(info?.CgroupsPath ?? CgroupsPathFor(id)))
        {
            try { Directory.Delete(dir, recursive: false); }
            catch (IOException ex) { throw new SandboxException($"removing cgroup {dir} of container {id} failed: {ex.Message}", ex); }
        }

        if (Directory.Exists(paths.Directory))
        {
            var left = OverlayRootfs.MountsUnder(paths.Directory);
            if (left.Count > 0) // never delete through a mount: that would delete the mounted files
                throw new SandboxException($"container {id} still has mounts ({string.Join(", ", left)}); not removing its directory");
            // Under the state gate: a late log cursor or state write must not land in a half-deleted directory.
            lock (StateGate(id)) Directory.Delete(paths.Directory, recursive: true);
        }
        _live.TryRemove(id, out _);
        _stateGates.TryRemove(id, out _);
        _logger.LogInformation("Destroyed container {Id}", id);
    }

    private readonly ConcurrentDictionary<string, OciRuntime> _otherRuntimes = new();
    private readonly ConcurrentDictionary<string, ConmonMonitor> _otherMonitors = new();

    /// <summary>
    /// The runtime a new container is made with: ours, except that a container taking layers while it runs (a
    /// staging container) is made with runc where crun must run in a mount namespace of its own (hybrid hosts):
    /// mounts added under its rootfs later did not reach a container made that way (live-layer tests), under runc they do.
    /// </summary>
    private OciRuntime RuntimeToCreate(ContainerSpec spec) =>
        spec.AcceptsLayersWhileRunning && _runtime.HidesUnifiedCgroup && File.Exists(_options.RuncPath) ? RuntimeFor("runc") : _runtime;

    private ConmonMonitor MonitorFor(OciRuntime runtime) =>
        ReferenceEquals(runtime, _runtime) ? _monitor : _otherMonitors.GetOrAdd(runtime.Name, _ => new ConmonMonitor(_options, runtime, _time, _logger));

    /// <summary>The runtime a container was made with (its recorded name): ours, or the other one with its own state root.</summary>
    internal OciRuntime RuntimeFor(string? name)
    {
        if (name is null || name == _runtime.Name) return _runtime;
        return _otherRuntimes.GetOrAdd(name, n =>
        {
            try
            {
                // Its own state root beside ours: runc and crun keep different state.
                var options = new SandboxOptions
                {
                    Runtime = n, CrunPath = _options.CrunPath, RuncPath = _options.RuncPath,
                    RuntimeStateDirectory = string.IsNullOrEmpty(_options.RuntimeStateDirectory) ? null : _options.RuntimeStateDirectory.TrimEnd('/') + "-" + n,
                };
                var other = OciRuntime.Detect(options, _cgroups.Layout);
                Directory.CreateDirectory(other.StateDirectory);
                return other;
            }
            catch (SandboxException) { return _runtime; }
        });
    }

    /// <summary>
    /// Signals the container's init with kill(2), as `runtime kill` would, without a runtime process: its pid is
    /// recorded with its start time, checked first against a reused pid. Without a recorded pid, the runtime does it.
    /// </summary>
    private static async Task SignalAsync(OciRuntime runtime, string id, ContainerInfo? info, int signal, CancellationToken cancellationToken)
    {
        if (info?.Pid is { } pid && info.PidStartTime is not null)
        {
            if (ProcessExit.IsAlive(pid, info.PidStartTime)) Native.Libc.Kill(pid, signal);
            return;
        }
        await runtime.KillAsync(id, signal.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
    }

    private static bool IsRunning(ContainerInfo? info, LiveContainer? live) =>
        live is not null ? !live.Exited.IsCompleted
        : info?.Pid is { } pid && ProcessExit.IsAlive(pid, info.PidStartTime);

    private async Task WaitForExitAsync(ContainerInfo? info, LiveContainer? live, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (grace <= TimeSpan.Zero) return;
        if (live is not null)
        {
            await Task.WhenAny(live.Exited, Task.Delay(grace, _time, cancellationToken));
            return;
        }
        var deadline = _time.GetUtcNow() + grace;
        while (IsRunning(info, null) && _time.GetUtcNow() < deadline)
            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken);
    }

    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> ids = Directory.Exists(_containersDirectory)
            ? Directory.EnumerateDirectories(_containersDirectory).Select(Path.GetFileName).OfType<string>()
                .Where(n => IdPattern().IsMatch(n)).Order(StringComparer.Ordinal).ToList()
            : [];
        return Task.FromResult(ids);
    }

    /// <summary>What is recorded about a container, or null when there is no such container.</summary>
    public Task<ContainerInfo?> InspectAsync(string id, CancellationToken cancellationToken) =>
        Task.FromResult(ContainerInfo.TryRead(PathsOf(id)));

    /// <summary>The container's memory and CPU use from its cgroups, or null when it has none (not running).</summary>
    public ContainerMetrics? GetMetrics(string id) => _cgroups.Read(CgroupsPathFor(ValidateId(id)));

    private async Task WriteEtcFilesAsync(ContainerSpec spec, ContainerPaths paths, ContainerNetwork? network, CancellationToken cancellationToken)
    {
        var hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
                    $"{network?.IpAddress ?? "127.0.1.1"}\t{spec.Hostname}\n";
        await File.WriteAllTextAsync(paths.Hosts, hosts, cancellationToken);
        await File.WriteAllTextAsync(paths.Hostname, spec.Hostname + "\n", cancellationToken);
        await File.WriteAllTextAsync(paths.ResolvConf, ResolvConf(), cancellationToken);
    }

    /// <summary>The configured nameservers, else the host's minus loopback ones (unreachable from a container).</summary>
    private string ResolvConf()
    {
        var servers = _options.Network.Nameservers.Count > 0 ? _options.Network.Nameservers : HostNameservers();
        return string.Concat(servers.Select(s => $"nameserver {s}\n"));
    }

    private static List<string> HostNameservers()
    {
        try
        {
            return File.ReadLines("/etc/resolv.conf")
                .Select(l => l.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
                .Where(p => p.Length >= 2 && p[0] == "nameserver" && System.Net.IPAddress.TryParse(p[1], out var a)
                            && !System.Net.IPAddress.IsLoopback(a))
                .Select(p => p[1])
                .ToList();
        }
        catch (IOException) { return []; }
    }

    /// <summary>
    /// The runtime raises the container's RLIMIT_NOFILE after dropping CAP_SYS_RESOURCE, so it cannot go above our own
    /// hard limit (from /proc/self/limits).
    /// </summary>
    private static int HostOpenFilesHardLimit()
    {
        try
        {
            var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            var parts = line?.Split(" ", StringSplitOptions.RemoveEmptyEntries);
            return parts is { Length: >= 5 } && int.TryParse(parts[4], out var hard) ? hard : int.MaxValue;
        }
        catch (IOException) { return int.MaxValue; }
    }

    private static bool SwapAccountingEnabled(CgroupLayout layout)
    {
        var memory = layout.Memory;
        if (memory is null) return false;
        if (!memory.IsV2) return File.Exists(Path.Combine(memory.MountPoint, "memory.memsw.limit_in_bytes"));
        try
        {
            return Directory.EnumerateDirectories(memory.MountPoint).Any(d => File.Exists(Path.Combine(d, "memory.swap.max")));
        }
        catch (IOException) { return false; }
    }

    private static string ValidateId(string id)
    {
        if (id is null || !IdPattern().IsMatch(id))
            throw new ArgumentException($"container id '{id}' must be 1-48 lowercase letters, digits or '-', starting with a letter or digit", nameof(id));
        return id;
    }

    private static void Validate(ContainerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ValidateId(spec.Id);
        if (spec.Args is not { Count: > 0 } || string.IsNullOrEmpty(spec.Args[0]))
            throw new ArgumentException("a container needs a command (Args)", nameof(spec));
        if (spec.Layers is not { Count: > 0 }) throw new ArgumentException("a container needs at least one layer", nameof(spec));
        foreach (var layer in spec.Layers)
            if (!Path.IsPathFullyQualified(layer) || !Directory.Exists(layer) || layer.Contains(',') || layer.Contains(':'))
                throw new ArgumentException($"layer '{layer}' is not an existing absolute directory without ',' or ':'", nameof(spec));
        if (spec.MemoryLimitBytes < 0) throw new ArgumentException("MemoryLimitBytes may not be negative", nameof(spec));
        if (spec.MemoryLimitBytes is > 0 and < 4 * 1024 * 1024)
            throw new ArgumentException("MemoryLimitBytes below 4 MiB leaves a container no room to start", nameof(spec));
        if (!HostnamePattern().IsMatch(spec.Hostname)) throw new ArgumentException($"'{spec.Hostname}' is not a valid hostname", nameof(spec));
        if (!spec.WorkingDir.StartsWith('/')) throw new ArgumentException($"WorkingDir '{spec.WorkingDir}' must be absolute", nameof(spec));
        foreach (var key in spec.Env.Keys)
            if (key.Length == 0 || key.Contains('=') || key.Contains('\0'))
                throw new ArgumentException($"environment variable name '{key}' is not valid", nameof(spec));
        foreach (var m in spec.Mounts)
        {
            if (!Path.IsPathFullyQualified(m.Source) || !Path.Exists(m.Source))
                throw new ArgumentException($"bind mount source '{m.Source}' must be an existing absolute path", nameof(spec));
            if (!m.Destination.StartsWith('/') || m.Destination.Split('/').Contains(".."))
                throw new ArgumentException($"bind mount destination '{m.Destination}' must be absolute without '..'", nameof(spec));
        }
        if (spec.ContainerPort is < 1 or > 65535) throw new ArgumentException($"ContainerPort {spec.ContainerPort} is not a TCP port", nameof(spec));
        foreach (var (name, value) in spec.Annotations)
        {
            if (!AnnotationNamePattern().IsMatch(name))
                throw new ArgumentException($"annotation name '{name}' must be 1-64 letters, digits, '.' or '-'", nameof(spec));
            if (value is null || value.Length > 64 * 1024)
                throw new ArgumentException($"annotation '{name}' must be a string of at most 64 KiB", nameof(spec));
        }
        if (spec.PidsLimit is <= 0) throw new ArgumentException("PidsLimit must be positive", nameof(spec));
        if (Platform.Contracts.Messages.EgressRule.Problem(spec.Egress) is { } egressProblem) throw new ArgumentException(egressProblem, nameof(spec));
        if (spec.Egress is { Count: > 0 } && spec.ContainerPort is null)
            throw new ArgumentException("egress rules need a network: set ContainerPort", nameof(spec));
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,47}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[A-Za-z0-9.-]{1,64}$")]
    private static partial Regex AnnotationNamePattern();

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$")]
    private static partial Regex HostnamePattern();
}
