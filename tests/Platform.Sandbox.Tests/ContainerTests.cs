using System.Diagnostics;

namespace Platform.Sandbox.Tests;

[Collection(SandboxCollection.Name)]
public sealed class ContainerTests(SandboxFixture fx)
{
    private async Task<(ContainerExit Exit, OutputCollector Output)> RunToEndAsync(ContainerSpec spec)
    {
        var output = new OutputCollector();
        var container = await fx.Sandbox.StartAsync(spec, output.Add, CancellationToken.None);
        try
        {
            var exit = await Wait.Bounded(container.Exited);
            return (exit, output);
        }
        finally
        {
            await fx.Sandbox.DestroyAsync(spec.Id, TimeSpan.Zero, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Output_and_exit_code_come_back()
    {
        var (exit, output) = await RunToEndAsync(fx.Spec(SandboxFixture.NewId("out"),
            "echo hello; echo oops >&2; cat /opt/small/hello.txt; /opt/small/run.sh a b; exit 3"));

        Assert.Equal(new ContainerExit(3, null, false), exit);
        Assert.Equal(["hello", "hello from the small layer", "small-layer-script a b"], output.Out);
        Assert.Equal(["oops"], output.Err);
    }

    [Fact]
    public async Task A_container_may_be_called_like_a_runtime_command()
    {
        // The monitor's runtime wrapper turns conmon's `create` into `run -d`: only the command, never the id.
        var (exit, output) = await RunToEndAsync(fx.Spec("create", "echo named create"));
        Assert.Equal(new ContainerExit(0, null, false), exit);
        Assert.Equal(["named create"], output.Out);
    }

    [Fact]
    public async Task A_process_killed_by_a_signal_is_reported_as_such()
    {
        var id = SandboxFixture.NewId("sig");
        var container = await fx.Sandbox.StartAsync(fx.Spec(id, "exec sleep 300"), (_, _) => { }, CancellationToken.None);
        try
        {
            using (var p = Process.GetProcessById(container.Pid)) p.Kill(); // SIGKILL from the host
            var exit = await Wait.Bounded(container.Exited);
            Assert.Equal(new ContainerExit(null, 9, false), exit);
        }
        finally { await fx.Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None); }
    }

    [Fact]
    public async Task Exceeding_the_memory_limit_is_reported_as_oom_killed()
    {
        var spec = fx.Spec(SandboxFixture.NewId("oom"), "head -c 300M /dev/zero | tail") with { MemoryLimitBytes = 64L << 20 };
        var (exit, output) = await RunToEndAsync(spec);
        Assert.True(exit.OomKilled, $"expected an OOM kill, got {exit}; output:\n{output}");
    }

    [Fact]
    public async Task The_process_sees_its_own_pids_hostname_and_memory_limit()
    {
        var spec = fx.Spec(SandboxFixture.NewId("iso"),
            "echo pid=$$;",
            "echo procs=$(ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' ');",
            "echo hostname=$(hostname);",
            "echo etc-hostname=$(cat /etc/hostname);",
            "if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then echo limit=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes);",
            "else echo limit=$(cat /sys/fs/cgroup/memory.max); fi") with { MemoryLimitBytes = 128L << 20, Hostname = "isolated-box" };
        var (exit, output) = await RunToEndAsync(spec);

        Assert.Equal(0, exit.ExitCode);
        var lines = output.Out.Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1].Trim());
        Assert.Equal("1", lines["pid"]);
        var pids = lines["procs"].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        Assert.Contains(1, pids);
        Assert.DoesNotContain(Environment.ProcessId, pids);
        Assert.All(pids, p => Assert.True(p < 50, $"pid {p} is not from the container's own pid namespace: {lines["procs"]}"));
        Assert.Equal("isolated-box", lines["hostname"]);
        Assert.Equal("isolated-box", lines["etc-hostname"]);
        Assert.Equal((128L << 20).ToString(), lines["limit"]);
    }

    [Fact]
    public async Task Writes_land_in_the_upper_dir_and_the_layers_stay_untouched()
    {
        var id = SandboxFixture.NewId("upper");
        var output = new OutputCollector();
        var container = await fx.Sandbox.StartAsync(fx.Spec(id,
            "echo changed > /opt/small/hello.txt && echo new > /etc/sandbox-test-file && rm /etc/issue"), output.Add, CancellationToken.None);
        try
        {
            Assert.Equal(0, (await Wait.Bounded(container.Exited)).ExitCode);
            var upper = fx.Sandbox.PathsOf(id).Upper;
            Assert.Equal("changed\n", await File.ReadAllTextAsync(Path.Combine(upper, "opt/small/hello.txt")));
            Assert.Equal("new\n", await File.ReadAllTextAsync(Path.Combine(upper, "etc/sandbox-test-file")));
            Assert.Equal(UnixFileTypes.CharDevice00, UnixFileTypes.Of(Path.Combine(upper, "etc/issue"))); // overlay whiteout

            Assert.Equal("hello from the small layer\n", await File.ReadAllTextAsync(Path.Combine(fx.SmallLayer, "opt/small/hello.txt")));
            Assert.False(File.Exists(Path.Combine(fx.StackLayer, "etc/sandbox-test-file")));
            Assert.True(File.Exists(Path.Combine(fx.StackLayer, "etc/issue")));
        }
        finally { await fx.Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None); }
    }

    [Fact]
    public async Task Destroy_sends_term_first_and_waits_for_a_clean_exit()
    {
        var id = SandboxFixture.NewId("term");
        var output = new OutputCollector();
        var container = await fx.Sandbox.StartAsync(fx.Spec(id,
            "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.1; done"), output.Add, CancellationToken.None);
        Assert.Null(await Wait.UntilAsync(() => Task.FromResult(output.Out.Contains("ready"))));
        await fx.Sandbox.DestroyAsync(id, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal(new ContainerExit(7, null, false), await Wait.Bounded(container.Exited));
        Assert.Contains("got-term", output.Out);
    }

    [Fact]
    public async Task A_bad_spec_is_refused_with_a_clear_error_and_leaves_nothing()
    {
        var id = SandboxFixture.NewId("bad");
        await Assert.ThrowsAsync<ArgumentException>(() => fx.Sandbox.StartAsync(fx.Spec("Bad_Id", "true"), (_, _) => { }, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => fx.Sandbox.StartAsync(
            fx.Spec(id, "true") with { Layers = ["/nonexistent/layer"] }, (_, _) => { }, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => fx.Sandbox.StartAsync(
            fx.Spec(id, "true") with { Args = [] }, (_, _) => { }, CancellationToken.None));
        Assert.DoesNotContain(id, await fx.Sandbox.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_failing_start_cleans_up_after_itself()
    {
        var id = SandboxFixture.NewId("nostart");
        var spec = fx.Spec(id) with { Args = ["/no/such/binary"], ContainerPort = 8080 };
        var error = await Assert.ThrowsAsync<SandboxException>(() => fx.Sandbox.StartAsync(spec, (_, _) => { }, CancellationToken.None));
        Assert.Contains("/no/such/binary", error.Message);
        await Leftovers.AssertNoneAsync(fx, id, null);
    }

    [Fact]
    public async Task Starting_an_existing_id_fails()
    {
        var id = SandboxFixture.NewId("dup");
        var first = await fx.Sandbox.StartAsync(fx.Spec(id, "exec sleep 300"), (_, _) => { }, CancellationToken.None);
        try
        {
            await Assert.ThrowsAsync<SandboxException>(() => fx.Sandbox.StartAsync(fx.Spec(id, "true"), (_, _) => { }, CancellationToken.None));
            Assert.False(first.Exited.IsCompleted);
        }
        finally { await fx.Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None); }
    }
}
