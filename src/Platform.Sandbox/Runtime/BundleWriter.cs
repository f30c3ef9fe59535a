using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Sandbox.Cgroups;
using Platform.Sandbox.Seccomp;

namespace Platform.Sandbox.Runtime;

/// <summary>What the bundle needs beyond the spec: paths, the network namespace and cgroup decisions.</summary>
/// <param name="DefaultPidsLimit">The pids limit of a spec that sets none (0: none).</param>
/// <param name="DefaultCpuQuotaPercent">The CPU cap of a spec that sets none (0: none).</param>
public sealed record BundleSettings(
    string CgroupsPath,
    string? NetworkNamespacePath,
    bool SetSwapLimit,
    int OpenFilesLimit,
    string? InitPath,
    long DefaultPidsLimit = 0,
    int DefaultCpuQuotaPercent = 0);

/// <summary>Writes an OCI runtime spec 1.0 config.json for a container.</summary>
public static class BundleWriter
{
    /// <summary>Where an init from <see cref="SandboxOptions.InitPath"/> appears inside the container.</summary>
    public const string InitMountPath = "/.platform-init";

    /// <summary>Docker's default capability set.</summary>
    public static readonly IReadOnlyList<string> DefaultCapabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    /// <summary>
    /// Kernel files a container must not read (the runtime mounts /dev/null or an empty read-only tmpfs over them):
    /// physical memory (kcore), the keyrings, timers and scheduler internals that leak other tenants' activity, the
    /// firmware tables, and the power meters (powercap energy counters leak what other processes compute).
    /// </summary>
    public static readonly IReadOnlyList<string> MaskedPaths =
    [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ];

    public static readonly IReadOnlyList<string> ReadonlyPaths =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static JsonObject Build(ContainerSpec spec, ContainerPaths paths, BundleSettings settings)
    {
        var env = new JsonArray();
        if (!spec.Env.ContainsKey("PATH")) env.Add($"PATH={DefaultPath}");
        foreach (var (k, v) in spec.Env) env.Add($"{k}={v}");

        var args = new JsonArray();
        if (settings.InitPath is not null) { args.Add(InitMountPath); args.Add("--"); }
        foreach (var a in spec.Args) args.Add(a);

        // Root in a container keeps Docker's default set; any other user has no capability at all, not even in the
        // bounding set, so no set-uid binary or file capability can hand one back (no_new_privs stops that too).
        var isRoot = spec.User is null or { Uid: 0 };
        JsonArray Caps() => isRoot ? new JsonArray(DefaultCapabilities.Select(c => (JsonNode)c!).ToArray()) : [];

        var mounts = new JsonArray
        {
            Mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"),
            Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
            Mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
            Mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
            Mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
            Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
            Mount("/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro"),
            Bind(paths.Hosts, "/etc/hosts", true),
            Bind(paths.Hostname, "/etc/hostname", true),
            Bind(paths.ResolvConf, "/etc/resolv.conf", true),
        };
        if (settings.InitPath is not null) mounts.Add(Bind(settings.InitPath, InitMountPath, true));
        foreach (var m in spec.Mounts) mounts.Add(Bind(m.Source, m.Destination, m.ReadOnly));

        var namespaces = new JsonArray
        {
            new JsonObject { ["type"] = "pid" },
            settings.NetworkNamespacePath is { } ns
                ? new JsonObject { ["type"] = "network", ["path"] = ns }
                : new JsonObject { ["type"] = "network" }, // a fresh one: only loopback, which the runtime brings up
            new JsonObject { ["type"] = "ipc" },
            new JsonObject { ["type"] = "uts" },
            new JsonObject { ["type"] = "mount" },
        };

        var resources = new JsonObject
        {
            ["devices"] = new JsonArray { new JsonObject { ["allow"] = false, ["access"] = "rwm" } },
        };
        if (spec.MemoryLimitBytes > 0)
        {
            var memory = new JsonObject { ["limit"] = spec.MemoryLimitBytes };
            // Swap included in the limit: memory+swap equal to memory means no swap at all.
            if (settings.SetSwapLimit) memory["swap"] = spec.MemoryLimitBytes;
            resources["memory"] = memory;
        }
        if ((spec.PidsLimit ?? settings.DefaultPidsLimit) is var pids and > 0) resources["pids"] = new JsonObject { ["limit"] = pids };
        var cpu = new JsonObject();
        var shares = spec.CpuShares ?? (spec.MemoryLimitBytes > 0 ? CpuWeights.SharesForMemory(spec.MemoryLimitBytes) : (ulong?)null);
        if (shares is { } s) cpu["shares"] = s;
        if ((spec.CpuQuotaPercent ?? settings.DefaultCpuQuotaPercent) is var percent and > 0)
        {
            cpu["quota"] = CpuWeights.QuotaForPercent(percent);
            cpu["period"] = CpuWeights.QuotaPeriodMicroseconds;
        }
        if (cpu.Count > 0) resources["cpu"] = cpu;

        var config = new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject { ["uid"] = spec.User?.Uid ?? 0, ["gid"] = spec.User?.Gid ?? 0 },
                ["args"] = args,
                ["env"] = env,
                ["cwd"] = spec.WorkingDir,
                ["capabilities"] = new JsonObject
                {
                    ["bounding"] = Caps(),
                    ["effective"] = Caps(),
                    ["permitted"] = Caps(),
                    ["inheritable"] = new JsonArray(),
                    ["ambient"] = new JsonArray(),
                },
                ["rlimits"] = new JsonArray
                {
                    new JsonObject { ["type"] = "RLIMIT_NOFILE", ["hard"] = settings.OpenFilesLimit, ["soft"] = settings.OpenFilesLimit },
                },
                ["noNewPrivileges"] = true,
            },
            ["root"] = new JsonObject { ["path"] = "rootfs", ["readonly"] = false },
            ["hostname"] = spec.Hostname,
            ["mounts"] = mounts,
            ["linux"] = new JsonObject
            {
                ["cgroupsPath"] = settings.CgroupsPath,
                ["resources"] = resources,
                ["namespaces"] = namespaces,
                ["maskedPaths"] = new JsonArray(MaskedPaths.Select(p => (JsonNode)p!).ToArray()),
                ["readonlyPaths"] = new JsonArray(ReadonlyPaths.Select(p => (JsonNode)p!).ToArray()),
                ["seccomp"] = SeccompProfile.Build(),
            },
        };
        // The container's view of its rootfs a slave of the host's (shared) mount: what the host mounts beneath it
        // later reaches the container, while the container's own mounts stay its own. (runc makes the root a slave by
        // default, crun private: say it.)
        if (spec.AcceptsLayersWhileRunning) config["linux"]!["rootfsPropagation"] = "rslave";
        return config;
    }

    public static async Task WriteAsync(ContainerSpec spec, ContainerPaths paths, BundleSettings settings, CancellationToken cancellationToken)
    {
        var json = Build(spec, paths, settings).ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        await File.WriteAllTextAsync(paths.Config, json, cancellationToken);
    }

    private static JsonObject Mount(string destination, string type, string source, params string[] options) => new()
    {
        ["destination"] = destination,
        ["type"] = type,
        ["source"] = source,
        ["options"] = new JsonArray(options.Select(o => (JsonNode)o!).ToArray()),
    };

    private static JsonObject Bind(string source, string destination, bool readOnly) => new()
    {
        ["destination"] = destination,
        ["type"] = "bind",
        ["source"] = source,
        ["options"] = readOnly
            ? new JsonArray("rbind", "ro", "nosuid", "nodev")
            : new JsonArray("rbind", "rw"),
    };
}
