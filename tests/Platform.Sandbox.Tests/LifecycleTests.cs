namespace Platform.Sandbox.Tests;

[Collection(SandboxCollection.Name)]
public sealed class LifecycleTests(SandboxFixture fx)
{
    [Fact]
    public async Task Destroy_leaves_nothing_behind_and_can_be_repeated()
    {
        var id = SandboxFixture.NewId("gone");
        var spec = fx.Spec(id, "exec sleep 300") with
        {
            ContainerPort = 8080,
            MemoryLimitBytes = 64L << 20,
            Mounts = [new BindMount(SandboxFixture.Busybox, "/opt/bb/busybox")],
        };
        var container = await fx.Sandbox.StartAsync(spec, (_, _) => { }, CancellationToken.None);
        var info = await fx.Sandbox.InspectAsync(id, CancellationToken.None);
        Assert.NotNull(info?.Network);
        Assert.Equal(ContainerPhase.Running, info!.Phase);
        Assert.Equal(container.Pid, info.Pid);
        Assert.NotNull(fx.Sandbox.GetMetrics(id));

        await fx.Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None);

        Assert.Equal(9, (await Wait.Bounded(container.Exited)).Signal); // sleep ignores TERM as PID 1: killed
        await Leftovers.AssertNoneAsync(fx, id, info.Network);
        await fx.Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None);
        await fx.Sandbox.DestroyAsync(SandboxFixture.NewId("never"), TimeSpan.Zero, CancellationToken.None);
        await Leftovers.AssertNoneAsync(fx, id, info.Network);
    }

    [Fact]
    public async Task An_exit_is_reported_at_once_and_a_killed_monitor_does_not_lose_how_the_container_ended()
    {
        // Exits by itself: its monitor's end (the exit notifier) reports the code.
        var quick = SandboxFixture.NewId("quick");
        var exited = await fx.Sandbox.StartAsync(fx.Spec(quick, "exit 3"), (_, _) => { }, CancellationToken.None);
        Assert.Equal(3, (await Wait.Bounded(exited.Exited)).ExitCode);
        await fx.Sandbox.DestroyAsync(quick, TimeSpan.Zero, CancellationToken.None);

        // Its monitor killed: the container runs on unrecorded; its init, reparented to this process (the sandbox is
        // a subreaper), is waited for directly, so how it ended is still known.
        var id = SandboxFixture.NewId("orphan");
        var container = await fx.Sandbox.StartAsync(fx.Spec(id, "exec sleep 300"), (_, _) => { }, CancellationToken.None);
        try
        {
            var info = await fx.Sandbox.InspectAsync(id, CancellationToken.None);
            Assert.True(Native.Libc.Kill(info!.MonitorPid!.Value, 9) == 0);
            await Task.Delay(300);
            Assert.False(container.Exited.IsCompleted); // a dead monitor is not a dead container
            Assert.True(Native.Libc.Kill(container.Pid, 9) == 0);
            var exit = await Wait.Bounded(container.Exited);
            Assert.Equal(9, exit.Signal);
            Assert.False(Directory.Exists($"/proc/{container.Pid}")); // reaped, not left a zombie
        }
        finally { await fx.Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None); }
    }

    [Fact]
    public async Task A_half_created_container_is_cleaned_up_by_destroy()
    {
        // What a crash in the middle of StartAsync can leave: a directory with a truncated state file, a mount,
        // a network namespace.
        var id = SandboxFixture.NewId("half");
        var paths = fx.Sandbox.PathsOf(id);
        Directory.CreateDirectory(paths.Rootfs);
        await File.WriteAllTextAsync(paths.State, "{\"Id\": \"" + id);
        await Host.RunAsync("mount", "-t", "tmpfs", "tmpfs", paths.Rootfs);
        await Host.RunAsync("ip", "netns", "add", Platform.Sandbox.Network.Networker.NamespaceNameFor(id));
        Assert.Contains(paths.Rootfs, await File.ReadAllTextAsync("/proc/self/mountinfo"));
        Assert.Contains(id, await fx.Sandbox.ListAsync(CancellationToken.None));

        await fx.Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None);

        await Leftovers.AssertNoneAsync(fx, id, null);
    }

    [Fact]
    public async Task A_new_sandbox_object_sees_and_destroys_containers_of_an_earlier_one()
    {
        var id = SandboxFixture.NewId("restart");
        var container = await fx.Sandbox.StartAsync(fx.Spec(id, "exec sleep 300") with { ContainerPort = 9000 }, (_, _) => { }, CancellationToken.None);
        var info = await fx.Sandbox.InspectAsync(id, CancellationToken.None);

        var restarted = fx.NewSandbox(); // as after a restart of the process: nothing in memory
        Assert.Contains(id, await restarted.ListAsync(CancellationToken.None));
        var seen = await restarted.InspectAsync(id, CancellationToken.None);
        Assert.Equal(ContainerPhase.Running, seen!.Phase);
        Assert.Equal(container.Pid, seen.Pid);
        Assert.Equal(container.IpAddress, seen.Network!.IpAddress);

        await restarted.DestroyAsync(id, TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.Equal(9, (await Wait.Bounded(container.Exited)).Signal);
        await Leftovers.AssertNoneAsync(fx, id, info!.Network);
    }

    [Fact]
    public async Task Addresses_and_ports_are_not_handed_out_twice_across_sandbox_objects()
    {
        var a = SandboxFixture.NewId("alloc-a");
        var b = SandboxFixture.NewId("alloc-b");
        var first = await fx.Sandbox.StartAsync(fx.Spec(a, "exec sleep 300") with { ContainerPort = 8080 }, (_, _) => { }, CancellationToken.None);
        var other = fx.NewSandbox();
        try
        {
            var second = await other.StartAsync(fx.Spec(b, "exec sleep 300") with { ContainerPort = 8080 }, (_, _) => { }, CancellationToken.None);
            Assert.NotEqual(first.IpAddress, second.IpAddress);
            Assert.NotEqual(first.HostPort, second.HostPort);
        }
        finally
        {
            await other.DestroyAsync(b, TimeSpan.Zero, CancellationToken.None);
            await fx.Sandbox.DestroyAsync(a, TimeSpan.Zero, CancellationToken.None);
        }
    }
}
