using System.Diagnostics;
using Platform.Sandbox.Cgroups;

namespace Platform.Isolation.Tests;

/// <summary>The limits hold: processes, disk, memory and CPU, each pushed past its limit from inside an instance.</summary>
[Collection(IsolationCollection.Name)]
public sealed class LimitsTests(IsolationFixture fx)
{
    private const string Escape = "/opt/tools/escape";

    public static TheoryData<string> Runtimes => new() { "runc", "crun" };

    [Theory, MemberData(nameof(Runtimes))]
    public async Task A_fork_bomb_stops_at_the_pids_limit_and_the_host_is_fine(string runtime)
    {
        var spec = fx.Instance(IsolationFixture.NewId("forkbomb"), $"{Escape} forkbomb; echo after=alive") with { PidsLimit = 64 };
        var (exit, output) = await Instances.RunToEndAsync(fx.For(runtime), spec);
        Assert.True(exit.ExitCode == 0, $"{exit}\n{output}");
        var line = output.Out.Single(l => l.StartsWith("forked=", StringComparison.Ordinal));
        // bash, the init and the helper are in the count too.
        Assert.Matches(@"^forked=(5[0-9]|6[0-3]) stopped=EAGAIN$", line);
        Assert.Equal("alive", output.Value("after"));
        using var host = Process.Start(new ProcessStartInfo("true"))!;
        await host.WaitForExitAsync();
        Assert.Equal(0, host.ExitCode);
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task The_default_pids_limit_applies_when_the_spec_sets_none(string runtime)
    {
        var s = fx.For(runtime);
        var id = IsolationFixture.NewId("pids");
        var output = new OutputCollector();
        await s.Sandbox.StartAsync(fx.Instance(id, "sleep 60"), output.Add, CancellationToken.None);
        try
        {
            var limits = s.Sandbox.Cgroups.ReadLimits(Platform.Sandbox.Sandbox.CgroupsPathFor(id));
            Assert.NotNull(limits);
            Assert.Equal(s.Options.DefaultPidsLimit, limits.PidsMax);
            Assert.Equal(1024, limits.PidsMax);
        }
        finally { await s.Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None); }
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task Filling_the_disk_stops_at_its_limit_with_enospc_inside_the_instance_only(string runtime)
    {
        var s = fx.For(runtime);
        var neighbourId = IsolationFixture.NewId("neighbour");
        var neighbour = new OutputCollector();
        // A neighbour on the same host keeps writing after the first one is full.
        await s.Sandbox.StartAsync(fx.Instance(neighbourId, "sleep 3600"), neighbour.Add, CancellationToken.None);
        try
        {
            var spec = fx.Instance(IsolationFixture.NewId("disk"),
                "dd if=/dev/zero of=/home/vcap/app/fill bs=1M count=100 2>&1 | grep -o 'No space left on device' | head -1 | sed 's/^/dd=/'; " +
                "echo size=$(( $(stat -c %s /home/vcap/app/fill) / 1048576 )); echo more=$( (head -c 4M /dev/zero > /tmp/more) 2>&1 | grep -c 'No space'); rm -f /tmp/more; " +
                "rm /home/vcap/app/fill; echo x > /tmp/after && echo after=ok") with { DiskLimitBytes = 32L * 1024 * 1024 };
            var (exit, output) = await Instances.RunToEndAsync(s, spec);
            Assert.True(exit.ExitCode == 0, $"{exit}\n{output}");
            Assert.Equal("No space left on device", output.Value("dd"));
            Assert.InRange(int.Parse(output.Value("size")), 20, 32);
            Assert.Equal("1", output.Value("more"));
            Assert.Equal("ok", output.Value("after")); // freed space is usable again
            Assert.False(File.Exists(Path.Combine(fx.AppLayer, "home", "vcap", "app", "fill")));

            // The neighbour's writable layer is its own filesystem: untouched by the other's full disk.
            var (size, free) = Platform.Sandbox.Rootfs.WritableLayer.Usage(s.Sandbox.PathsOf(neighbourId).Disk);
            Assert.InRange(size, 50L * 1024 * 1024, 64L * 1024 * 1024);
            Assert.True(free > 40L * 1024 * 1024, $"the neighbour has only {free} bytes free");
        }
        finally { await s.Sandbox.DestroyAsync(neighbourId, TimeSpan.Zero, CancellationToken.None); }
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task Using_more_memory_than_the_limit_is_an_oom_kill_and_swap_is_off(string runtime)
    {
        var s = fx.For(runtime);
        var id = IsolationFixture.NewId("oom");
        var output = new OutputCollector();
        var spec = fx.Instance(id, $"sleep 1; exec {Escape} alloc 200") with { MemoryLimitBytes = 64L * 1024 * 1024 };
        var container = await s.Sandbox.StartAsync(spec, output.Add, CancellationToken.None);
        try
        {
            var limits = s.Sandbox.Cgroups.ReadLimits(Platform.Sandbox.Sandbox.CgroupsPathFor(id));
            Assert.NotNull(limits);
            Assert.Equal(64L * 1024 * 1024, limits.MemoryBytes);
            // Where the host accounts swap, memory+swap equals memory: no swap at all.
            if (File.Exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") || File.Exists("/sys/fs/cgroup/memory.swap.max")
                || Directory.EnumerateDirectories("/sys/fs/cgroup").Any(d => File.Exists(Path.Combine(d, "memory.swap.max"))))
                Assert.Equal(0, limits.SwapBytes);
            var exit = await container.Exited.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exit.OomKilled, $"{exit}\n{output}");
            Assert.DoesNotContain("allocated all", output.Out);
        }
        finally { await s.Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None); }
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task Two_busy_instances_share_a_cpu_by_their_weights(string runtime)
    {
        var s = fx.For(runtime);
        // 1 GiB and 256 MiB: 1024 and 256 shares. Both spin on CPU 0, so they compete.
        var bigId = IsolationFixture.NewId("cpu-big");
        var smallId = IsolationFixture.NewId("cpu-small");
        var script = $"exec taskset -c 0 {Escape} spin";
        await s.Sandbox.StartAsync(fx.Instance(bigId, script) with { MemoryLimitBytes = 1024L * 1024 * 1024 }, (_, _) => { }, CancellationToken.None);
        await s.Sandbox.StartAsync(fx.Instance(smallId, script) with { MemoryLimitBytes = 256L * 1024 * 1024 }, (_, _) => { }, CancellationToken.None);
        try
        {
            var big = Platform.Sandbox.Sandbox.CgroupsPathFor(bigId);
            var small = Platform.Sandbox.Sandbox.CgroupsPathFor(smallId);
            var bigLimits = s.Sandbox.Cgroups.ReadLimits(big)!;
            var smallLimits = s.Sandbox.Cgroups.ReadLimits(small)!;
            Assert.Equal(CpuWeights.SharesForMemory(1024L * 1024 * 1024), bigLimits.CpuShares ?? bigLimits.CpuWeight);
            Assert.Equal(1024UL, CpuWeights.SharesForMemory(1024L * 1024 * 1024));
            Assert.Equal(256UL, smallLimits.CpuShares);

            await Task.Delay(TimeSpan.FromSeconds(1)); // both running
            var bigBefore = s.Sandbox.Cgroups.CpuUsage(big)!.Value;
            var smallBefore = s.Sandbox.Cgroups.CpuUsage(small)!.Value;
            await Task.Delay(TimeSpan.FromSeconds(4));
            var bigUsed = s.Sandbox.Cgroups.CpuUsage(big)!.Value - bigBefore;
            var smallUsed = s.Sandbox.Cgroups.CpuUsage(small)!.Value - smallBefore;
            Assert.True(smallUsed > TimeSpan.Zero, "the small instance never ran");
            var ratio = bigUsed / smallUsed;
            // 4 by weight; a generous band for a shared, noisy machine.
            Assert.InRange(ratio, 2.5, 6.5);
        }
        finally
        {
            await s.Sandbox.DestroyAsync(bigId, TimeSpan.Zero, CancellationToken.None);
            await s.Sandbox.DestroyAsync(smallId, TimeSpan.Zero, CancellationToken.None);
        }
    }

    [Theory, MemberData(nameof(Runtimes))]
    public async Task A_cpu_quota_caps_an_instance_below_one_core(string runtime)
    {
        var s = fx.For(runtime);
        var id = IsolationFixture.NewId("quota");
        await s.Sandbox.StartAsync(fx.Instance(id, $"exec {Escape} spin") with { CpuQuotaPercent = 20 }, (_, _) => { }, CancellationToken.None);
        try
        {
            var path = Platform.Sandbox.Sandbox.CgroupsPathFor(id);
            var limits = s.Sandbox.Cgroups.ReadLimits(path)!;
            Assert.Equal(20_000, limits.CpuQuotaMicroseconds);
            Assert.Equal(100_000, limits.CpuPeriodMicroseconds);
            await Task.Delay(TimeSpan.FromSeconds(1));
            var before = s.Sandbox.Cgroups.CpuUsage(path)!.Value;
            var clock = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(3));
            var used = s.Sandbox.Cgroups.CpuUsage(path)!.Value - before;
            var share = used / clock.Elapsed;
            // 0.2 of a core by quota; an uncapped spin would use a whole one.
            Assert.InRange(share, 0.05, 0.35);
        }
        finally { await s.Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None); }
    }
}
