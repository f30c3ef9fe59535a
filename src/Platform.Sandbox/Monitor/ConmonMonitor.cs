using System.Globalization;
using Microsoft.Extensions.Logging;
using Platform.Sandbox.Runtime;

namespace Platform.Sandbox.Monitor;

/// <summary>Where a container's monitor keeps its files, all inside the container's directory.</summary>
internal static class MonitorFiles
{
    /// <summary>The container's stdout and stderr in conmon's k8s-file format, one record per line.</summary>
    public static string Log(ContainerPaths paths) => Path.Combine(paths.Directory, "output.log");
    /// <summary>conmon's --exit-dir: it writes a file named after the container id holding the exit status.</summary>
    public static string ExitDirectory(ContainerPaths paths) => Path.Combine(paths.Directory, "exit");
    public static string ExitFile(ContainerPaths paths) => Path.Combine(ExitDirectory(paths), paths.Id);
    public static string MonitorPidFile(ContainerPaths paths) => Path.Combine(paths.Directory, "conmon.pid");
    /// <summary>conmon creates "oom" in its working directory when the kernel reports an OOM kill in the container's cgroup.</summary>
    public static string OomFile(ContainerPaths paths) => Path.Combine(paths.Directory, "oom");
    /// <summary>How far the container's owner has handled its output (inode and offset).</summary>
    public static string LogCursorFile(ContainerPaths paths) => Path.Combine(paths.Directory, "log.cursor");
}

/// <summary>The monitor process of a started container and the container's first process.</summary>
internal sealed record MonitorLaunch(int MonitorPid, ulong? MonitorStartTime, int InitPid, ulong? InitStartTime);

/// <summary>
/// Starts containers under conmon (from Debian), one monitor process per container: conmon runs
/// the runtime (`run -d`, through its wrapper) with pipes it owns as the container's stdio, becomes the subreaper of the container's init,
/// writes every output line to a log file and the exit status to an exit file, and lives as long as the
/// container, detached from whoever started it. So the cell agent can be killed or upgraded: the container keeps
/// running, its output keeps being recorded, and how it ended is on disk for the next agent to read.
/// </summary>
internal sealed class ConmonMonitor
{
    private readonly string _conmonPath;
    private readonly OciRuntime _runtime;
    private readonly string _runtimePath;
    private readonly string _socketDirectory;
    private readonly long _logSizeMax;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ConmonMonitor(SandboxOptions options, OciRuntime runtime, TimeProvider time, ILogger logger)
    {
        _conmonPath = options.ConmonPath;
        if (!File.Exists(_conmonPath))
            throw new SandboxException($"Sandbox:ConmonPath {_conmonPath} does not exist (apt-get install conmon)");
        _runtime = runtime;
        _logSizeMax = options.LogSizeMaxBytes;
        _time = time;
        _logger = logger;
        // conmon links an attach socket directory here per container (unix socket paths are short: keep it short).
        _socketDirectory = Path.Combine("/run/platform/conmon", Path.GetFileName(runtime.StateDirectory.TrimEnd('/')));
        Directory.CreateDirectory(_socketDirectory);
        _runtimePath = WriteRuntimeWrapper(options.Root, runtime);
    }

    /// <summary>
    /// conmon execs the runtime by path and asks it to `create` the container, after which its owner would run
    /// `runtime start`: two runtime calls (by hand, runc create + start take ~40 ms against ~30 ms for one `run -d`).
    /// This script, given to conmon as the runtime, turns the first `create` into `run -d`, which creates and starts
    /// the container in one call with conmon's pipes as its stdio all the same. Where the runtime must run in a mount
    /// namespace without the cgroup2 mount it also does what <see cref="OciRuntime.StartInfo"/> does for our own calls.
    /// </summary>
    private static string WriteRuntimeWrapper(string root, OciRuntime runtime)
    {
        var path = Path.Combine(root, $"{runtime.Name}{(runtime.HidesUnifiedCgroup ? "-without-unified-cgroup" : "")}-run.sh");
        var exec = runtime.HidesUnifiedCgroup
            ? "exec unshare -m --propagation slave /bin/sh -c 'umount /sys/fs/cgroup/unified && exec \"$0\" \"$@\"' " +
              $"'{runtime.BinaryPath}' \"$@\"\n"
            : $"exec '{runtime.BinaryPath}' \"$@\"\n";
        var script = "#!/bin/sh\n" +
                     "# conmon's `create` (only the first word that is one: an id may be called create) becomes `run -d`.\n" +
                     "n=$#; done=\n" +
                     "for a in \"$@\"; do\n" +
                     "  if [ -z \"$done\" ] && [ \"$a\" = create ]; then set -- \"$@\" run -d; done=1; else set -- \"$@\" \"$a\"; fi\n" +
                     "done\n" +
                     "shift $n\n" +
                     exec;
        Directory.CreateDirectory(root);
        if (!File.Exists(path) || File.ReadAllText(path) != script)
        {
            var temp = $"{path}.{Guid.NewGuid():N}.tmp";
            File.WriteAllText(temp, script);
            Native.Libc.Chmod(temp, 0x1C0); // 0700
            File.Move(temp, path, overwrite: true);
        }
        return path;
    }

    /// <summary>
    /// Has conmon create and start the container (`run -d`, through the runtime wrapper): returns once the runtime
    /// wrote the init's pid, which it does after telling the init to exec the container's process, or throws with the
    /// runtime's error when that failed.
    /// </summary>
    public async Task<MonitorLaunch> CreateAsync(ContainerPaths paths, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(MonitorFiles.ExitDirectory(paths));
        var psi = new System.Diagnostics.ProcessStartInfo(_conmonPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // conmon writes its "oom" marker into its working directory.
            WorkingDirectory = paths.Directory,
        };
        foreach (var a in Arguments(paths)) psi.ArgumentList.Add(a);
        // The conmon we start forks the real monitor (which detaches: new session, stdio on /dev/null) and exits
        // at once after writing the monitor's pid. Tracked so that the orphan reaper leaves it to .NET.
        using (var process = _runtime.StartTracked(psi))
        {
            try
            {
                process.StandardInput.Close();
                var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
                var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
                await process.WaitForExitAsync(cancellationToken);
                if (process.ExitCode != 0)
                    throw new SandboxException($"conmon for {paths.Id} failed (exit code {process.ExitCode}): {(await stderr + await stdout).Trim()}");
            }
            finally { _runtime.Untrack(process.Id); }
        }

        var monitorPid = ReadPid(MonitorFiles.MonitorPidFile(paths))
                         ?? throw new SandboxException($"conmon for {paths.Id} wrote no pid file");
        var monitorStart = ProcessExit.StartTime(monitorPid);
        // The runtime writes the pid file (atomically) once `run` has started the process; the monitor exits if it fails.
        var began = _time.GetUtcNow();
        var deadline = began + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (ReadPid(paths.PidFile) is { } initPid)
                return new MonitorLaunch(monitorPid, monitorStart, initPid, ProcessExit.StartTime(initPid));
            if (!ProcessExit.IsAlive(monitorPid, monitorStart))
            {
                ReapIfChild(monitorPid);
                if (ReadPid(paths.PidFile) is { } late)
                    return new MonitorLaunch(monitorPid, monitorStart, late, ProcessExit.StartTime(late));
                throw new SandboxException($"{_runtime.Name} run {paths.Id} failed: {RuntimeLog.LastError(paths)}");
            }
            if (_time.GetUtcNow() > deadline)
                throw new SandboxException($"{_runtime.Name} run {paths.Id} did not finish within 60 s");
            // `run` takes 10-50 ms: polled every millisecond, the pid is seen within one of being written (a
            // doubling back-off up to 50 ms cost ~20 ms of every start). A create that hangs is polled more slowly.
            var delay = _time.GetUtcNow() - began < TimeSpan.FromSeconds(2) ? TimeSpan.FromMilliseconds(1) : TimeSpan.FromMilliseconds(20);
            await Task.Delay(delay, _time, cancellationToken);
        }
    }

    /// <summary>
    /// After the container's init is gone the monitor exits by itself; one still there (a create that never
    /// finished) is killed. Then its attach-socket link goes, which it removes itself only when it exits normally.
    /// </summary>
    public async Task StopAsync(ContainerPaths paths, int monitorPid, ulong? monitorStartTime, CancellationToken cancellationToken)
    {
        if (!await ProcessExit.UntilGoneAsync(monitorPid, monitorStartTime, TimeSpan.FromSeconds(2), _time, cancellationToken))
        {
            _logger.LogWarning("Monitor {Pid} of container {Id} outlived its container: killing it", monitorPid, paths.Id);
            Native.Libc.Kill(monitorPid, 9);
            await ProcessExit.UntilGoneAsync(monitorPid, monitorStartTime, TimeSpan.FromSeconds(1), _time, cancellationToken);
        }
        ReapIfChild(monitorPid);
        try { File.Delete(Path.Combine(_socketDirectory, paths.Id)); }
        catch (IOException) { }
    }

    private IEnumerable<string> Arguments(ContainerPaths paths)
    {
        string[] args =
        [
            "--api-version", "1",
            "-c", paths.Id, "-u", paths.Id, "-n", paths.Id,
            "-r", _runtimePath,
            "-b", paths.Directory,
            "-p", paths.PidFile,
            "-P", MonitorFiles.MonitorPidFile(paths),
            "-l", "k8s-file:" + MonitorFiles.Log(paths),
            "--exit-dir", MonitorFiles.ExitDirectory(paths),
            "--socket-dir-path", _socketDirectory,
            "--log-level", "error",
            // Put before the runtime's `create`: its state root and a JSON log we read errors from.
            "--runtime-arg", "--root", "--runtime-arg", _runtime.StateDirectory,
            "--runtime-arg", "--log", "--runtime-arg", paths.RuntimeLog,
            "--runtime-arg", "--log-format", "--runtime-arg", "json",
        ];
        return _logSizeMax > 0
            ? args.Concat(["--log-size-max", _logSizeMax.ToString(CultureInfo.InvariantCulture)])
            : args;
    }

    /// <summary>
    /// How the container ended, from the monitor's exit file; null while there is none. conmon records an exit code
    /// as itself and a death by signal N as 128+N (as shells do), so 129..192 read as signals.
    /// </summary>
    public static ContainerExit? ReadExit(ContainerPaths paths, Func<bool> oomKilled)
    {
        string text;
        var file = MonitorFiles.ExitFile(paths);
        // Polled for every container: a missing file is the usual answer, and an exception per poll is costly.
        if (!File.Exists(file)) return null;
        try { text = File.ReadAllText(file).Trim(); }
        catch (IOException) { return null; }
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var status)) return null;
        return Decode(status, oomKilled());
    }

    public static ContainerExit Decode(int status, bool oomKilled) => status switch
    {
        > 128 and <= 128 + 64 => new ContainerExit(null, status - 128, oomKilled),
        _ => new ContainerExit(status, null, oomKilled),
    };

    /// <summary>
    /// Reaps the process if it is our child and has exited. Monitors this process started are its children while it
    /// lives (the sandbox is a child subreaper), so each one's end must be collected here.
    /// </summary>
    public static bool ReapIfChild(int pid) => Native.Libc.WaitPid(pid, out _, Native.Libc.WNOHANG) == pid;

    private static int? ReadPid(string file)
    {
        try
        {
            var text = File.ReadAllText(file).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
        }
        catch (IOException) { return null; }
    }
}

/// <summary>The OCI runtime's JSON log (--log-format json): its error messages, for the user.</summary>
internal static class RuntimeLog
{
    public static string LastError(ContainerPaths paths)
    {
        try
        {
            var messages = File.ReadLines(paths.RuntimeLog)
                .Select(l => { try { return System.Text.Json.JsonDocument.Parse(l).RootElement; } catch (System.Text.Json.JsonException) { return default; } })
                .Where(e => e.ValueKind == System.Text.Json.JsonValueKind.Object && e.TryGetProperty("msg", out _)
                            && (!e.TryGetProperty("level", out var level) || level.GetString() is "error" or "fatal"))
                .Select(e => e.GetProperty("msg").GetString())
                .ToList();
            return messages.Count > 0 ? string.Join("; ", messages) : "no error in the runtime's log";
        }
        catch (IOException) { return "no runtime log"; }
    }
}
