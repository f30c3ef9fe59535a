using System.Text.Json.Nodes;
using Platform.Sandbox.Cgroups;
using Platform.Sandbox.Network;
using Platform.Sandbox.Runtime;
using Platform.Sandbox.Seccomp;

namespace Platform.Sandbox.Tests;

/// <summary>The bundle's hardening, CPU weights, the egress rules and cgroup v2 reading, without a container.</summary>
public sealed class HardeningUnitTests
{
    private static readonly ContainerPaths Paths = new("/var/lib/x/containers", "c1");
    private static readonly BundleSettings Settings = new("/platform/c1", null, true, 1024, null, DefaultPidsLimit: 1024);

    private static ContainerSpec Spec(uint? uid = 2000) => new()
    {
        Id = "c1",
        Layers = ["/layers/a"],
        Args = ["/bin/true"],
        MemoryLimitBytes = 512L * 1024 * 1024,
        User = uid is { } u ? new ContainerUser(u, u) : null,
    };

    [Fact]
    public void A_non_root_user_has_no_capabilities_in_any_set_and_no_new_privileges()
    {
        var process = BundleWriter.Build(Spec(), Paths, Settings)["process"]!;
        foreach (var set in new[] { "bounding", "effective", "permitted", "inheritable", "ambient" })
            Assert.Empty(process["capabilities"]![set]!.AsArray());
        Assert.True(process["noNewPrivileges"]!.GetValue<bool>());
        Assert.Equal(2000u, process["user"]!["uid"]!.GetValue<uint>());
    }

    [Fact]
    public void Root_keeps_dockers_default_set_and_still_gets_the_seccomp_filter()
    {
        var config = BundleWriter.Build(Spec(uid: null), Paths, Settings);
        var bounding = config["process"]!["capabilities"]!["bounding"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        Assert.Equal(BundleWriter.DefaultCapabilities, bounding);
        Assert.DoesNotContain("CAP_SYS_ADMIN", bounding);
        Assert.NotNull(config["linux"]!["seccomp"]);
    }

    [Fact]
    public void The_seccomp_filter_is_an_allowlist_that_leaves_out_the_dangerous_calls()
    {
        var seccomp = BundleWriter.Build(Spec(), Paths, Settings)["linux"]!["seccomp"]!;
        Assert.Equal("SCMP_ACT_ERRNO", seccomp["defaultAction"]!.GetValue<string>());
        Assert.Equal(SeccompProfile.EPERM, seccomp["defaultErrnoRet"]!.GetValue<int>());
        var allowedAnyArgs = seccomp["syscalls"]!.AsArray()
            .Where(r => r!["action"]!.GetValue<string>() == "SCMP_ACT_ALLOW" && r["args"] is null)
            .SelectMany(r => r!["names"]!.AsArray().Select(n => n!.GetValue<string>()))
            .ToHashSet();
        foreach (var denied in new[] { "mount", "umount2", "pivot_root", "unshare", "setns", "init_module", "finit_module",
                     "delete_module", "kexec_load", "reboot", "swapon", "sethostname", "setdomainname", "settimeofday",
                     "clock_settime", "ptrace", "process_vm_readv", "process_vm_writev", "bpf", "perf_event_open", "keyctl",
                     "add_key", "userfaultfd", "open_by_handle_at", "io_uring_setup", "fsopen", "move_mount", "open_tree",
                     "clone", "clone3", "socket", "personality", "chroot", "acct", "quotactl", "syslog", "iopl", "ioperm" })
            Assert.DoesNotContain(denied, allowedAnyArgs);
        foreach (var needed in new[] { "read", "write", "openat", "execve", "mmap", "futex", "epoll_pwait", "accept4", "wait4", "rt_sigaction" })
            Assert.Contains(needed, allowedAnyArgs);
        Assert.Equal(SeccompProfile.AllowedSyscalls.Count, SeccompProfile.AllowedSyscalls.Distinct().Count());

        var clone = seccomp["syscalls"]!.AsArray().Single(r => r!["names"]!.AsArray().Any(n => n!.GetValue<string>() == "clone"))!;
        Assert.Equal("SCMP_CMP_MASKED_EQ", clone["args"]![0]!["op"]!.GetValue<string>());
        Assert.Equal(0x7E020000UL, clone["args"]![0]!["value"]!.GetValue<ulong>());
        var clone3 = seccomp["syscalls"]!.AsArray().Single(r => r!["names"]!.AsArray().Any(n => n!.GetValue<string>() == "clone3"))!;
        Assert.Equal(SeccompProfile.ENOSYS, clone3["errnoRet"]!.GetValue<int>());
    }

    [Fact]
    public void Kernel_files_are_masked_and_proc_sys_is_read_only()
    {
        var linux = BundleWriter.Build(Spec(), Paths, Settings)["linux"]!;
        var masked = linux["maskedPaths"]!.AsArray().Select(p => p!.GetValue<string>()).ToList();
        foreach (var p in new[] { "/proc/kcore", "/proc/keys", "/proc/sched_debug", "/proc/timer_list", "/sys/firmware", "/sys/devices/virtual/powercap" })
            Assert.Contains(p, masked);
        Assert.Contains("/proc/sys", linux["readonlyPaths"]!.AsArray().Select(p => p!.GetValue<string>()));
    }

    [Fact]
    public void Limits_come_from_the_spec_with_the_sandbox_defaults_behind_it()
    {
        var resources = BundleWriter.Build(Spec(), Paths, Settings with { DefaultCpuQuotaPercent = 150 })["linux"]!["resources"]!;
        Assert.Equal(512L * 1024 * 1024, resources["memory"]!["limit"]!.GetValue<long>());
        Assert.Equal(512L * 1024 * 1024, resources["memory"]!["swap"]!.GetValue<long>()); // memory+swap = memory: no swap
        Assert.Equal(1024, resources["pids"]!["limit"]!.GetValue<long>());
        Assert.Equal(512UL, resources["cpu"]!["shares"]!.GetValue<ulong>());
        Assert.Equal(150_000, resources["cpu"]!["quota"]!.GetValue<long>());
        Assert.Equal(100_000UL, resources["cpu"]!["period"]!.GetValue<ulong>());

        var own = BundleWriter.Build(Spec() with { PidsLimit = 50, CpuShares = 10, CpuQuotaPercent = 25 }, Paths, Settings)["linux"]!["resources"]!;
        Assert.Equal(50, own["pids"]!["limit"]!.GetValue<long>());
        Assert.Equal(10UL, own["cpu"]!["shares"]!.GetValue<ulong>());
        Assert.Equal(25_000, own["cpu"]!["quota"]!.GetValue<long>());

        var none = BundleWriter.Build(Spec() with { MemoryLimitBytes = 0 }, Paths, Settings with { DefaultPidsLimit = 0 })["linux"]!["resources"]!;
        Assert.Null(none["pids"]);
        Assert.Null(none["cpu"]);
        Assert.Null(none["memory"]);
    }

    [Theory]
    [InlineData(64, 64)]
    [InlineData(1024, 1024)]
    [InlineData(4096, 4096)]
    [InlineData(1, 2)]
    [InlineData(1024 * 1024, 262144)]
    public void Shares_are_one_per_mebibyte_within_the_kernels_range(long memoryMb, ulong shares) =>
        Assert.Equal(shares, CpuWeights.SharesForMemory(memoryMb * 1024 * 1024));

    [Theory]
    [InlineData(2UL, 1UL)]
    [InlineData(1024UL, 39UL)]
    [InlineData(262144UL, 10000UL)]
    public void Shares_map_to_v2_weights_as_the_runtimes_do(ulong shares, ulong weight) =>
        Assert.Equal(weight, CpuWeights.WeightForShares(shares));

    [Fact]
    public void Quotas_are_refused_when_not_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuWeights.QuotaForPercent(0));
        Assert.Equal(1000, CpuWeights.QuotaForPercent(1) is var q and >= 1000 ? q : 0);
    }

    [Fact]
    public void Egress_rules_allow_first_then_refuse_the_host_other_instances_and_denied_networks()
    {
        var policy = new EgressPolicy(["10.0.5.10/32:5432", "192.168.7.0/24"], ["10.0.0.0/8", "169.254.0.0/16"], ["10.0.0.2"], allowOutbound: true);
        var rules = policy.FilterRules("plat0", "10.244.0.0/16", "P-FORWARD", "P-EGRESS", "P-INPUT").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        var egress = rules.Where(r => r.StartsWith("-A P-EGRESS ", StringComparison.Ordinal)).ToList();
        Assert.Equal("-A P-EGRESS -d 10.0.5.10/32 -p tcp -m tcp --dport 5432 -j ACCEPT", egress[0]);
        Assert.Equal("-A P-EGRESS -d 10.0.5.10/32 -p udp -m udp --dport 5432 -j ACCEPT", egress[1]);
        Assert.Equal("-A P-EGRESS -d 192.168.7.0/24 -j ACCEPT", egress[2]);
        Assert.Contains("-A P-EGRESS -d 10.0.0.2/32 -p udp -m udp --dport 53 -j ACCEPT", egress);
        var firstReject = egress.FindIndex(r => r.Contains("REJECT"));
        Assert.True(egress.FindLastIndex(r => r.Contains("ACCEPT") && r.Contains("-d ")) < firstReject);
        Assert.Contains("-A P-EGRESS -o plat0 -j REJECT --reject-with icmp-port-unreachable", egress);
        Assert.Contains("-A P-EGRESS -d 10.244.0.0/16 -j REJECT --reject-with icmp-port-unreachable", egress);
        Assert.Contains("-A P-EGRESS -d 169.254.0.0/16 -j REJECT --reject-with icmp-port-unreachable", egress);
        Assert.Equal("-A P-EGRESS -j ACCEPT", egress[^1]);
        var input = rules.Where(r => r.StartsWith("-A P-INPUT ", StringComparison.Ordinal)).ToList();
        Assert.Contains("RELATED,ESTABLISHED", input[0]);
        Assert.EndsWith("-j REJECT --reject-with icmp-port-unreachable", input[^1]);
        Assert.Contains("-A P-FORWARD -i plat0 -j P-EGRESS", rules);

        var closed = new EgressPolicy([], [], [], allowOutbound: false).FilterRules("plat0", "10.244.0.0/16", "F", "E", "I");
        Assert.Contains("-A E -j REJECT --reject-with icmp-port-unreachable", closed);
        Assert.DoesNotContain("-A E -j ACCEPT", closed);
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0/8")]
    [InlineData("example.com")]
    [InlineData("10.0.0.1:0")]
    [InlineData("10.0.0.1:70000")]
    [InlineData("10.0.0.1:90-80")]
    [InlineData("::1/128")]
    public void Bad_egress_entries_are_refused_with_the_setting_named(string entry)
    {
        var e = Assert.Throws<ArgumentException>(() => new EgressPolicy([entry], [], [], true));
        Assert.Contains("Sandbox:Network:AllowedNetworks", e.Message);
        Assert.Contains(entry, e.Message);
    }

    [Fact]
    public void Denied_networks_may_not_name_ports()
    {
        var e = Assert.Throws<ArgumentException>(() => new EgressPolicy([], ["10.0.0.0/8:80"], [], true));
        Assert.Contains("DeniedNetworks", e.Message);
    }

    [Fact]
    public void A_recorded_cgroup_v2_hierarchy_reads_limits_usage_and_oom_kills()
    {
        var root = Path.Combine(Path.GetTempPath(), "cgv2-" + Guid.NewGuid().ToString("N")[..8]);
        var dir = Directory.CreateDirectory(Path.Combine(root, "platform", "c1")).FullName;
        try
        {
            // As a v2 host shows a container's cgroup after runc wrote 512 MiB, swap 0, 512 shares, 150% and 1024 pids.
            File.WriteAllText(Path.Combine(root, "cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
            File.WriteAllText(Path.Combine(dir, "memory.max"), "536870912\n");
            File.WriteAllText(Path.Combine(dir, "memory.swap.max"), "0\n");
            File.WriteAllText(Path.Combine(dir, "memory.current"), "1234567\n");
            File.WriteAllText(Path.Combine(dir, "memory.events"), "low 0\nhigh 0\nmax 7\noom 2\noom_kill 1\noom_group_kill 0\n");
            File.WriteAllText(Path.Combine(dir, "cpu.weight"), $"{CpuWeights.WeightForShares(512)}\n");
            File.WriteAllText(Path.Combine(dir, "cpu.max"), "150000 100000\n");
            File.WriteAllText(Path.Combine(dir, "cpu.stat"), "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n");
            File.WriteAllText(Path.Combine(dir, "pids.max"), "1024\n");
            File.WriteAllText(Path.Combine(dir, "pids.current"), "3\n");
            var layout = CgroupLayout.Parse([$"30 23 0:26 / {root} rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate"]);
            Assert.Equal(CgroupMode.Hybrid, layout.Mode); // not at /sys/fs/cgroup: read it as unified below
            var reader = new CgroupReader(layout with { Mode = CgroupMode.Unified });

            var limits = reader.ReadLimits("/platform/c1");
            Assert.NotNull(limits);
            Assert.Equal(536870912, limits.MemoryBytes);
            Assert.Equal(0, limits.SwapBytes);
            Assert.Equal(536870912, limits.MemoryAndSwapBytes);
            Assert.Equal(CpuWeights.WeightForShares(512), limits.CpuWeight);
            Assert.Null(limits.CpuShares);
            Assert.Equal(150000, limits.CpuQuotaMicroseconds);
            Assert.Equal(100000, limits.CpuPeriodMicroseconds);
            Assert.Equal(1024, limits.PidsMax);
            Assert.Equal(3, limits.PidsCurrent);
            Assert.Equal(TimeSpan.FromSeconds(2.5), reader.CpuUsage("/platform/c1"));
            Assert.Equal(1, reader.OomKillCount("/platform/c1"));
            var metrics = reader.Read("/platform/c1");
            Assert.Equal(1234567, metrics!.MemoryUsageBytes);

            File.WriteAllText(Path.Combine(dir, "cpu.max"), "max 100000\n");
            File.WriteAllText(Path.Combine(dir, "pids.max"), "max\n");
            File.WriteAllText(Path.Combine(dir, "memory.swap.max"), "max\n");
            var unlimited = reader.ReadLimits("/platform/c1")!;
            Assert.Null(unlimited.CpuQuotaMicroseconds);
            Assert.Null(unlimited.PidsMax);
            Assert.Null(unlimited.SwapBytes);
            Assert.Null(reader.ReadLimits("/platform/gone"));
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void Each_bridge_gets_iptables_chains_of_its_own_unless_a_prefix_is_configured()
    {
        var state = Directory.CreateTempSubdirectory("plat-net-unit-").FullName;
        try
        {
            var logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
            var a = new Networker(new SandboxNetworkOptions { Bridge = "plat0" }, Path.Combine(state, "a"), logger);
            var b = new Networker(new SandboxNetworkOptions { Bridge = "cell2br" }, Path.Combine(state, "b"), logger);
            Assert.Equal(["PLAT0-DNAT", "PLAT0-FORWARD", "PLAT0-EGRESS"], new[] { a.DnatChain, a.ForwardChain, a.EgressChain });
            Assert.Equal("CELL2BR-POSTROUTING", b.PostroutingChain);

            var configured = new Networker(new SandboxNetworkOptions { Bridge = "plat0", ChainPrefix = "MYCELL" }, Path.Combine(state, "c"), logger);
            Assert.Equal("MYCELL-INPUT", configured.InputChain);

            var error = Assert.Throws<ArgumentException>(() =>
                new Networker(new SandboxNetworkOptions { ChainPrefix = "PREFIX-LONGER-THAN-16" }, Path.Combine(state, "d"), logger));
            Assert.Contains("at most 16", error.Message);
        }
        finally { Directory.Delete(state, recursive: true); }
    }
}
