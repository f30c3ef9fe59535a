using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Platform.Sandbox.Runtime;

/// <summary>
/// A real OCI runtime binary (crun or runc) and how to invoke it: its state root, and for crun on a hybrid
/// cgroup host, a private mount namespace without the cgroup2 mount (crun 1.8 refuses hybrid layouts).
/// </summary>
public sealed class OciRuntime
{
    /// <summary>"crun" or "runc".</summary>
    public string Name { get; }
    public string BinaryPath { get; }
    /// <summary>The runtime's --root, where it keeps container state.</summary>
    public string StateDirectory { get; }
    /// <summary>Why this runtime was chosen, for logs.</summary>
    public string Reason { get; }
    /// <summary>
    /// True when every call goes through `unshare -m` with /sys/fs/cgroup/unified unmounted first, which makes a
    /// hybrid host look like cgroup v1 to crun.
    /// </summary>
    public bool HidesUnifiedCgroup { get; }

    public OciRuntime(string name, string binaryPath, string stateDirectory, string reason, bool hidesUnifiedCgroup)
    {
        Name = name;
        BinaryPath = binaryPath;
        StateDirectory = stateDirectory;
        Reason = reason;
        HidesUnifiedCgroup = hidesUnifiedCgroup;
    }

    /// <summary>
    /// Picks the runtime: <c>auto</c> prefers crun (faster to start). On a host whose cgroup layout is hybrid, which
    /// crun 1.8 refuses ("cgroups in hybrid mode not supported"), crun runs inside a private mount namespace with the
    /// cgroup2 mount removed, when a try of that works here; else runc. The choice and why are logged.
    /// </summary>
    public static OciRuntime Detect(SandboxOptions options, CgroupLayout layout, ILogger? logger = null)
    {
        var choice = (options.Runtime ?? "auto").Trim().ToLowerInvariant();
        var crunExists = File.Exists(options.CrunPath);
        var runcExists = File.Exists(options.RuncPath);
        var hybrid = layout.Mode == CgroupMode.Hybrid;
        var hybridNote = hybrid
            ? $"the host's cgroup layout is hybrid (v1 controllers with cgroup2 at {layout.Mounts.First(m => m.IsV2).MountPoint}), which crun 1.8 refuses (\"cgroups in hybrid mode not supported\")"
            : "";

        var hidingProblem = "";
        var hidingWorks = choice == "auto" && crunExists && hybrid && HidingWorks(options.CrunPath, out hidingProblem);

        OciRuntime result = choice switch
        {
            "runc" when runcExists => Make("runc", options.RuncPath, "Sandbox:Runtime is runc", false),
            "crun" when crunExists => hybrid
                ? Make("crun", options.CrunPath, $"Sandbox:Runtime is crun; {hybridNote}, so crun runs in a private mount namespace without the cgroup2 mount", true)
                : Make("crun", options.CrunPath, "Sandbox:Runtime is crun", false),
            "runc" or "crun" => throw new SandboxException(
                $"Sandbox:Runtime is {choice} but {(choice == "runc" ? options.RuncPath : options.CrunPath)} does not exist"),
            "auto" when crunExists && !hybrid => Make("crun", options.CrunPath, $"crun found and the cgroup layout ({layout.Mode}) is supported by it", false),
            // On a hybrid host crun runs (and starts ~2x faster than runc) once the cgroup2 mount is out of its sight:
            // each call goes through a private mount namespace without it, if this host lets us make one.
            "auto" when crunExists && (hidingWorks || !runcExists) =>
                Make("crun", options.CrunPath, hidingWorks
                    ? $"crun found; {hybridNote}, so crun runs in a private mount namespace without the cgroup2 mount"
                    : $"runc not found at {options.RuncPath}; {hybridNote}, so crun runs in a private mount namespace without the cgroup2 mount, though trying that failed: {hidingProblem}", true),
            "auto" when runcExists => Make("runc", options.RuncPath,
                crunExists ? $"crun is installed but {hybridNote}, and running it in a mount namespace without the cgroup2 mount failed ({hidingProblem}); runc works there" : $"crun not found at {options.CrunPath}", false),
            "auto" => throw new SandboxException($"no OCI runtime: neither {options.CrunPath} nor {options.RuncPath} exists (apt-get install crun runc)"),
            _ => throw new SandboxException($"Sandbox:Runtime must be auto, crun or runc, not '{options.Runtime}'"),
        };
        logger?.LogInformation("Sandbox uses OCI runtime {Runtime} ({Path}): {Reason}", result.Name, result.BinaryPath, result.Reason);
        return result;

        OciRuntime Make(string name, string path, string reason, bool hide) =>
            new(name, path, options.RuntimeStateDirectory is { Length: > 0 } s ? s : $"/run/platform/{name}", reason, hide);
    }

    /// <summary>
    /// The command that runs a program in its own mount namespace without the cgroup2 mount. Slave, not private:
    /// mounts the host makes later (layers added to a running staging container under its shared rootfs) must still
    /// reach the container, while the umount here must not reach the host.
    /// </summary>
    internal static readonly string[] HidingPrefix =
        ["unshare", "-m", "--propagation", "slave", "/bin/sh", "-c", "umount /sys/fs/cgroup/unified && exec \"$0\" \"$@\""];

    /// <summary>Whether `crun --version` runs through <see cref="HidingPrefix"/> here (unshare, umount and crun all work).</summary>
    private static bool HidingWorks(string crunPath, out string problem)
    {
        try
        {
            var psi = new ProcessStartInfo(HidingPrefix[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in HidingPrefix.Skip(1).Append(crunPath).Append("--version")) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new SandboxException("could not start unshare");
            var stderr = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(TimeSpan.FromSeconds(10))) { p.Kill(); problem = "it did not finish within 10 s"; return false; }
            problem = p.ExitCode == 0 ? "" : $"exit code {p.ExitCode}: {stderr.Result.Trim()}";
            return p.ExitCode == 0;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or SandboxException or InvalidOperationException)
        {
            problem = e.Message;
            return false;
        }
    }

    /// <summary>A start-info for `runtime --root STATE args...`, wrapped in unshare when needed.</summary>
    public ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        ProcessStartInfo psi;
        if (HidesUnifiedCgroup)
        {
            psi = new ProcessStartInfo(HidingPrefix[0]);
            foreach (var a in HidingPrefix.Skip(1).Append(BinaryPath)) psi.ArgumentList.Add(a);
        }
        else psi = new ProcessStartInfo(BinaryPath);
        psi.ArgumentList.Add("--root");
        psi.ArgumentList.Add(StateDirectory);
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        psi.UseShellExecute = false;
        return psi;
    }

    /// <summary>Runs the runtime with the arguments and returns its result.</summary>
    public async Task<HostCommandResult> RunAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var pid = 0;
        try
        {
            return await HostCommand.RunAsync(StartInfo(arguments), null, psi =>
            {
                var p = StartTracked(psi);
                pid = p.Id;
                return p;
            }, cancellationToken);
        }
        finally { Untrack(pid); }
    }

    // Runtime processes we started through Process: the orphan reaper must leave them to .NET, which reaps its own.
    private readonly HashSet<int> _started = [];
    private readonly object _startedGate = new();

    /// <summary>Starts a runtime process and remembers its pid until <see cref="Untrack"/>.</summary>
    public Process StartTracked(ProcessStartInfo startInfo)
    {
        lock (_startedGate)
        {
            var process = Process.Start(startInfo) ?? throw new SandboxException($"could not start {startInfo.FileName}");
            _started.Add(process.Id);
            return process;
        }
    }

    /// <summary>Forgets a runtime process once .NET has seen it exit.</summary>
    public void Untrack(int pid)
    {
        lock (_startedGate) _started.Remove(pid);
    }

    /// <summary>
    /// Reaps zombie runtime processes that were reparented to us. We are a child subreaper (to get containers'
    /// exit statuses), so a helper the runtime forks and abandons (crun's detached run leaves one) would otherwise
    /// stay a zombie for as long as we live. Only processes named like the runtime and not started by us through
    /// Process are touched: those .NET reaps itself.
    /// </summary>
    public int ReapOrphans()
    {
        var self = Environment.ProcessId;
        var comm = Path.GetFileName(BinaryPath);
        if (comm.Length > 15) comm = comm[..15];
        var reaped = 0;
        lock (_startedGate)
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid) || _started.Contains(pid)) continue;
                string stat;
                try { stat = File.ReadAllText(Path.Combine(dir, "stat")); }
                catch (IOException) { continue; }
                var open = stat.IndexOf('(');
                var close = stat.LastIndexOf(')');
                if (open < 0 || close < open || stat[(open + 1)..close] != comm) continue;
                var fields = stat[(close + 2)..].Split(' ');
                if (fields.Length < 2 || fields[0] != "Z" || fields[1] != self.ToString()) continue;
                if (Native.Libc.WaitPid(pid, out _, Native.Libc.WNOHANG) == pid) reaped++;
            }
        }
        return reaped;
    }

    /// <summary>True when the runtime has state for this container id.</summary>
    public bool HasState(string id) => Directory.Exists(Path.Combine(StateDirectory, id));

    /// <summary>Sends a signal to the container's init; errors (e.g. not running) are ignored.</summary>
    public Task<HostCommandResult> KillAsync(string id, string signal, CancellationToken cancellationToken) =>
        RunAsync(["kill", id, signal], cancellationToken);

    /// <summary>Removes the container from the runtime (killing it first), including its cgroups.</summary>
    public async Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        if (!HasState(id)) return;
        var result = await RunAsync(["delete", "--force", id], cancellationToken);
        if (!result.Succeeded && HasState(id))
            throw new SandboxException($"{Name} delete --force {id} failed: {result.StandardError.Trim()}");
    }
}
