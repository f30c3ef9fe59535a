using System.Text.Json.Nodes;
using Platform.Sandbox.Runtime;

namespace Platform.Sandbox.Tests;

public sealed class RuntimeDetectionTests
{
    private static readonly string[] Hybrid =
    [
        "30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755",
        "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw",
        "33 30 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory",
        "34 30 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,cpu,cpuacct",
    ];

    private static readonly string[] Unified =
        ["30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot"];

    [Fact]
    public void Cgroup_layouts_are_told_apart()
    {
        var hybrid = CgroupLayout.Parse(Hybrid);
        Assert.Equal(CgroupMode.Hybrid, hybrid.Mode);
        Assert.Equal("/sys/fs/cgroup/memory", hybrid.Memory!.MountPoint);
        Assert.False(hybrid.Memory.IsV2);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", hybrid.Cpu!.MountPoint);

        var unified = CgroupLayout.Parse(Unified);
        Assert.Equal(CgroupMode.Unified, unified.Mode);
        Assert.True(unified.Memory!.IsV2);

        Assert.Equal(CgroupMode.Legacy, CgroupLayout.Parse(Hybrid.Where(l => !l.Contains("cgroup2"))).Mode);
    }

    [Fact]
    public void Auto_prefers_crun_and_on_a_hybrid_host_runs_it_without_the_cgroup2_mount_or_falls_back_to_runc_saying_why()
    {
        using var bins = new FakeBinaries();
        var options = new SandboxOptions { CrunPath = bins.Crun, RuncPath = bins.Runc };

        var onHybrid = OciRuntime.Detect(options, CgroupLayout.Parse(Hybrid));
        Assert.Equal("crun", onHybrid.Name);
        Assert.True(onHybrid.HidesUnifiedCgroup);
        Assert.Contains("hybrid", onHybrid.Reason);
        Assert.Contains("private mount namespace", onHybrid.Reason);

        // A crun that does not run there (here: one that fails) leaves runc, and the reason says what failed.
        bins.BreakCrun();
        var fallback = OciRuntime.Detect(options, CgroupLayout.Parse(Hybrid));
        Assert.Equal("runc", fallback.Name);
        Assert.Contains("/sys/fs/cgroup/unified", fallback.Reason);
        Assert.Contains("exit code 3", fallback.Reason);

        var onUnified = OciRuntime.Detect(options, CgroupLayout.Parse(Unified));
        Assert.Equal("crun", onUnified.Name);
        Assert.False(onUnified.HidesUnifiedCgroup);

        var forced = OciRuntime.Detect(new SandboxOptions { CrunPath = bins.Crun, RuncPath = bins.Runc, Runtime = "runc" }, CgroupLayout.Parse(Hybrid));
        Assert.Equal("runc", forced.Name);
        Assert.False(forced.HidesUnifiedCgroup);

        Assert.Throws<SandboxException>(() => OciRuntime.Detect(new SandboxOptions { CrunPath = bins.Crun, RuncPath = bins.Runc, Runtime = "kata" }, CgroupLayout.Parse(Unified)));
        Assert.Throws<SandboxException>(() => OciRuntime.Detect(
            new SandboxOptions { CrunPath = "/nonexistent/crun", RuncPath = "/nonexistent/runc" }, CgroupLayout.Parse(Unified)));
    }

    [Fact]
    public void On_this_host_the_detection_matches_its_cgroup_layout()
    {
        var layout = CgroupLayout.Detect();
        var runtime = OciRuntime.Detect(new SandboxOptions(), layout);
        if (layout.Mode == CgroupMode.Hybrid && File.Exists("/usr/bin/crun"))
        {
            Assert.Equal("crun", runtime.Name);
            Assert.True(runtime.HidesUnifiedCgroup);
            Assert.Contains("hybrid", runtime.Reason);
        }
        else Assert.Equal(File.Exists("/usr/bin/crun") ? "crun" : "runc", runtime.Name);
        Assert.StartsWith("/run/platform/", runtime.StateDirectory);
    }

    [Fact]
    public void The_bundle_carries_namespaces_limits_and_hardening()
    {
        var spec = new ContainerSpec
        {
            Id = "cfg", Layers = ["/"], Args = ["/bin/app", "x"], Env = new Dictionary<string, string> { ["A"] = "1" },
            MemoryLimitBytes = 256L << 20, PidsLimit = 100, Hostname = "h1", WorkingDir = "/home/vcap",
            Mounts = [new BindMount("/srv/data", "/data", ReadOnly: false)],
        };
        var config = BundleWriter.Build(spec, new ContainerPaths("/c", "cfg"),
            new BundleSettings("/platform/cfg", "/var/run/netns/plat-cfg", SetSwapLimit: true, OpenFilesLimit: 4096, InitPath: null));

        Assert.Equal(["/bin/app", "x"], config["process"]!["args"]!.AsArray().Select(n => (string)n!));
        Assert.Contains("A=1", config["process"]!["env"]!.AsArray().Select(n => (string)n!));
        Assert.True((bool)config["process"]!["noNewPrivileges"]!);
        Assert.Equal("h1", (string)config["hostname"]!);
        var linux = config["linux"]!;
        Assert.Equal(256L << 20, (long)linux["resources"]!["memory"]!["limit"]!);
        Assert.Equal(256L << 20, (long)linux["resources"]!["memory"]!["swap"]!);
        Assert.Equal(100, (long)linux["resources"]!["pids"]!["limit"]!);
        Assert.Equal("/platform/cfg", (string)linux["cgroupsPath"]!);
        var namespaces = linux["namespaces"]!.AsArray().Select(n => (string)n!["type"]!).ToList();
        Assert.Equal(["ipc", "mount", "network", "pid", "uts"], namespaces.Order());
        Assert.Equal("/var/run/netns/plat-cfg", (string)linux["namespaces"]!.AsArray().Single(n => (string)n!["type"]! == "network")!["path"]!);
        Assert.Contains("/proc/kcore", linux["maskedPaths"]!.AsArray().Select(n => (string)n!));
        var mounts = config["mounts"]!.AsArray().Cast<JsonObject>().ToDictionary(m => (string)m["destination"]!);
        Assert.Equal("/c/cfg/resolv.conf", (string)mounts["/etc/resolv.conf"]["source"]!);
        Assert.Contains("rw", mounts["/data"]["options"]!.AsArray().Select(n => (string)n!));
        Assert.Contains("ro", mounts["/sys"]["options"]!.AsArray().Select(n => (string)n!));

        var noSwap = BundleWriter.Build(spec, new ContainerPaths("/c", "cfg"), new BundleSettings("/p", null, false, 4096, null));
        Assert.Null(noSwap["linux"]!["resources"]!["memory"]!["swap"]);
        Assert.Null(noSwap["linux"]!["namespaces"]!.AsArray().Single(n => (string)n!["type"]! == "network")!["path"]);
    }

    private sealed class FakeBinaries : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("runtimes").FullName;
        public string Crun => Path.Combine(_dir, "crun");
        public string Runc => Path.Combine(_dir, "runc");
        public FakeBinaries()
        {
            File.WriteAllText(Crun, "#!/bin/sh\necho crun version 1.8.1\n");
            File.WriteAllText(Runc, "#!/bin/sh\n");
            File.SetUnixFileMode(Crun, (UnixFileMode)0x1ED);
        }

        /// <summary>A crun that fails to run (as one refusing the host would).</summary>
        public void BreakCrun() => File.WriteAllText(Crun, "#!/bin/sh\necho broken >&2\nexit 3\n");
        public void Dispose() => Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>crun made to work on a hybrid host: run through a private mount namespace without the cgroup2 mount.</summary>
[Collection(SandboxCollection.Name)]
public sealed class CrunTests(SandboxFixture fx)
{
    [Fact]
    public async Task Crun_runs_containers_here_too_when_forced()
    {
        var options = new SandboxOptions
        {
            Root = fx.Options.Root,
            Runtime = "crun",
            RuntimeStateDirectory = fx.Options.RuntimeStateDirectory + "-crun",
            Network = fx.Options.Network,
        };
        var sandbox = fx.NewSandbox(options);
        Assert.Equal("crun", sandbox.RuntimeName);
        var id = SandboxFixture.NewId("crun");
        var output = new OutputCollector();
        var container = await sandbox.StartAsync(fx.Spec(id, "echo from-crun $$; exit 5") with { MemoryLimitBytes = 64L << 20, ContainerPort = 8080 },
            output.Add, CancellationToken.None);
        try
        {
            Assert.Equal(new ContainerExit(5, null, false), await Wait.Bounded(container.Exited));
            Assert.Equal(["from-crun 1"], output.Out);
        }
        finally
        {
            await sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None);
            if (Directory.Exists(options.RuntimeStateDirectory)) Directory.Delete(options.RuntimeStateDirectory, true);
        }
        Assert.False(Directory.Exists(sandbox.PathsOf(id).Directory));
        Assert.False(sandbox.Runtime.HasState(id));
        // We are a subreaper: whatever crun abandons is ours to reap, and must not pile up as zombies.
        Assert.Empty(ZombieChildren("crun"));
    }

    internal static List<int> ZombieChildren(string comm)
    {
        var self = Environment.ProcessId.ToString();
        var zombies = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); } catch (IOException) { continue; }
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            if (stat[(stat.IndexOf('(') + 1)..close] == comm && fields[0] == "Z" && fields[1] == self) zombies.Add(pid);
        }
        return zombies;
    }
}
