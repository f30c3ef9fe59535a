using System.Diagnostics;
using System.Net.Http;
using Platform.Cell;
using Platform.Contracts.Messages;

namespace Platform.Cell.Tests;

/// <summary>The cell's instance lifecycle against a real OCI runtime, overlay rootfs and network namespace.</summary>
[Collection(CellHarnessCollection.Name)]
public sealed class InstanceManagerTests : IAsyncLifetime
{
    private CellHarness _cell = null!;

    public async Task InitializeAsync() => _cell = await CellHarness.CreateAsync(healthCheckTimeoutSeconds: 5);
    public async Task DisposeAsync() => await _cell.DisposeAsync();

    private const string WebServer = "echo starting with $GREETING on $PORT; exec busybox httpd -f -v -p $PORT -h /home/vcap/app";

    [Fact]
    public async Task An_instance_starts_answers_on_its_address_logs_its_output_and_stops_without_a_trace()
    {
        var start = _cell.Start(WebServer);
        await _cell.Instances.StartAsync(start, CancellationToken.None);

        var running = await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Running);
        Assert.Matches(@"^10\.248\.\d+\.\d+:8080$", running.Address);
        Assert.Matches(@"^127\.0\.0\.1:620\d\d$", running.HostAddress);
        using var http = new HttpClient();
        Assert.Equal("hello from the cell test", await http.GetStringAsync($"http://{running.Address}/"));
        Assert.Equal("hello from the cell test", await http.GetStringAsync($"http://{running.HostAddress}/"));
        Assert.Contains(_cell.Instances.Snapshot().Instances, r => r.InstanceId == start.InstanceId && r.State == InstanceState.Running);

        await WaitForLogAsync(start.AppId, e => e.Source == "APP/PROC/WEB" && e.Text.Contains("starting with hi on 8080"));

        await _cell.Instances.StopAsync(new StopInstance(start.InstanceId, "cell-test", "test"), CancellationToken.None);
        await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Stopped);
        // Still in the next heartbeats, as stopped; then gone from them.
        for (var i = 0; i < InstanceManager.EndedReportHeartbeats; i++)
            Assert.Equal(InstanceState.Stopped, Assert.Single(_cell.Instances.Snapshot().Instances, r => r.InstanceId == start.InstanceId).State);
        Assert.DoesNotContain(_cell.Instances.Snapshot().Instances, r => r.InstanceId == start.InstanceId);
        Assert.DoesNotContain(InstanceManager.ContainerId(start.InstanceId), await _cell.Sandbox.ListAsync(CancellationToken.None));
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Contains(start.InstanceId.ToString("N")));
        Assert.DoesNotContain(start.InstanceId.ToString("N"), await Run("ip", "netns", "list"));
    }

    [Fact]
    public async Task A_crash_is_reported_with_its_exit_code_and_the_container_is_removed()
    {
        var start = _cell.Start("echo about to fail >&2; exit 3");
        await _cell.Instances.StartAsync(start, CancellationToken.None);

        var crashed = await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Crashed);
        Assert.True(crashed.ExitCode == 3, crashed.Reason);
        Assert.Contains("exited 3", crashed.Reason);
        await WaitForLogAsync(start.AppId, e => e.Stream == "ERR" && e.Text == "about to fail");
        Assert.DoesNotContain(InstanceManager.ContainerId(start.InstanceId), await _cell.Sandbox.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task An_app_killed_by_a_signal_after_becoming_healthy_is_reported_as_killed()
    {
        var start = _cell.Start(WebServer);
        await _cell.Instances.StartAsync(start, CancellationToken.None);
        await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Running);

        foreach (var pid in PidsInCgroupOf(start.InstanceId)) Process.GetProcessById(pid).Kill();

        var crashed = await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Crashed);
        Assert.Contains("signal 9", crashed.Reason);
    }

    [Fact]
    public async Task An_app_that_never_listens_fails_its_health_check()
    {
        var start = _cell.Start("sleep 600");
        await _cell.Instances.StartAsync(start, CancellationToken.None);

        var crashed = await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Crashed, TimeSpan.FromSeconds(60));
        Assert.Contains("health check failed", crashed.Reason);
        Assert.DoesNotContain(InstanceManager.ContainerId(start.InstanceId), await _cell.Sandbox.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_redelivered_start_runs_the_instance_once()
    {
        var start = _cell.Start(WebServer);
        await _cell.Instances.StartAsync(start, CancellationToken.None);
        await _cell.Instances.StartAsync(start, CancellationToken.None);
        await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Running);
        await _cell.Instances.StartAsync(start, CancellationToken.None);

        Assert.Single(await _cell.Sandbox.ListAsync(CancellationToken.None), InstanceManager.ContainerId(start.InstanceId));
        Assert.Single(_cell.Instances.Snapshot().Instances, r => r.InstanceId == start.InstanceId);
        Assert.Equal(2, _cell.Dispatcher.States(start.InstanceId).Count(s => s.State == InstanceState.Running)); // re-reported, not restarted
    }

    [Fact]
    public async Task An_instances_egress_rules_get_a_chain_of_its_own_that_goes_with_it()
    {
        var start = _cell.Start(WebServer) with { Egress = [new EgressRule("tcp", "10.99.0.0/16", "5432")] };
        await _cell.Instances.StartAsync(start, CancellationToken.None);
        await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Running);
        var comment = $"PLTCELL:{InstanceManager.ContainerId(start.InstanceId)}";
        var rules = await Run("iptables-save", "-t", "filter");
        Assert.Contains(rules.Split('\n'), l => l.StartsWith("-A PLTCELL-C", StringComparison.Ordinal) && l.Contains("-d 10.99.0.0/16 -p tcp -m tcp --dport 5432 -j ACCEPT"));
        Assert.Contains(comment, rules);

        await _cell.Instances.StopAsync(new StopInstance(start.InstanceId, "cell-test", "test"), CancellationToken.None);
        await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Stopped);
        rules = await Run("iptables-save", "-t", "filter");
        Assert.DoesNotContain(comment, rules);
        Assert.DoesNotContain(":PLTCELL-C", rules);
    }

    [Fact]
    public async Task An_instance_with_a_bad_egress_rule_fails_to_start_saying_which()
    {
        var start = _cell.Start(WebServer) with { Egress = [new EgressRule("tcp", "10.99.0.0/16", "http")] };
        await _cell.Instances.StartAsync(start, CancellationToken.None);

        var crashed = await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Crashed);
        Assert.Contains("failed to start", crashed.Reason);
        Assert.Contains("egress rule 0: egress rule ports 'http'", crashed.Reason);
        Assert.DoesNotContain(InstanceManager.ContainerId(start.InstanceId), await _cell.Sandbox.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_layer_missing_from_the_blobstore_fails_the_start_clearly()
    {
        var missing = new LayerRef("sha256:" + new string('0', 64), 10, "gone");
        var start = _cell.Start(WebServer, layers: [.. _cell.Layers, missing]);
        await _cell.Instances.StartAsync(start, CancellationToken.None);

        var crashed = await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Crashed);
        Assert.Contains("failed to start", crashed.Reason);
        Assert.Contains(missing.Digest, crashed.Reason);
    }

    [Fact]
    public async Task Stopping_an_unknown_instance_confirms_it_is_stopped()
    {
        var id = Guid.NewGuid();
        await _cell.Instances.StopAsync(new StopInstance(id, "cell-test", "test"), CancellationToken.None);
        Assert.Contains(_cell.Dispatcher.States(id), s => s.State == InstanceState.Stopped);
    }

    // Writes "tick N" every 50 ms in the background while busybox httpd serves.
    private const string Ticker =
        "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.05; done & exec busybox httpd -f -p $PORT -h /home/vcap/app";

    [Fact]
    public async Task A_restarted_agent_adopts_running_instances_with_the_same_process_and_continues_their_logs()
    {
        var start = _cell.Start(Ticker);
        await _cell.Instances.StartAsync(start, CancellationToken.None);
        var running = await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Running);
        var container = InstanceManager.ContainerId(start.InstanceId);
        var before = await _cell.Sandbox.InspectAsync(container, CancellationToken.None);
        await WaitForLogAsync(start.AppId, e => e.Text == "tick 20");

        await _cell.RestartAgentAsync();
        await _cell.Instances.RestoreAsync(CancellationToken.None);

        // Reported at once, RUNNING, at the same address: the same container and the same process.
        var report = Assert.Single(_cell.Instances.Snapshot().Instances, r => r.InstanceId == start.InstanceId);
        Assert.Equal(InstanceState.Running, report.State);
        Assert.Equal(running.Address, report.Address);
        var after = await _cell.Sandbox.InspectAsync(container, CancellationToken.None);
        Assert.Equal(before!.Pid, after!.Pid);
        Assert.Equal(before.PidStartTime, after.PidStartTime);
        using var http = new HttpClient();
        Assert.Equal("hello from the cell test", await http.GetStringAsync($"http://{report.Address}/"));

        // The log goes on from where the first agent had shipped it: every tick once, none missing.
        var lastBefore = Ticks(start.AppId).Max();
        await WaitForLogAsync(start.AppId, e => e.Text == $"tick {lastBefore + 40}");
        var ticks = Ticks(start.AppId);
        Assert.Equal(Enumerable.Range(1, ticks.Count), ticks);
        Assert.Single(_cell.Dispatcher.States(start.InstanceId), s => s.State == InstanceState.Running); // not started again
    }

    [Fact]
    public async Task A_start_redelivered_after_a_restart_only_reports_the_instance_again()
    {
        var start = _cell.Start(WebServer);
        await _cell.Instances.StartAsync(start, CancellationToken.None);
        await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Running);
        var container = InstanceManager.ContainerId(start.InstanceId);
        var pid = (await _cell.Sandbox.InspectAsync(container, CancellationToken.None))!.Pid;

        await _cell.RestartAgentAsync();
        // No explicit restore: the command itself waits for it.
        await _cell.Instances.StartAsync(start, CancellationToken.None);

        Assert.Equal(2, _cell.Dispatcher.States(start.InstanceId).Count(s => s.State == InstanceState.Running));
        Assert.Single(await _cell.Sandbox.ListAsync(CancellationToken.None), container);
        Assert.Equal(pid, (await _cell.Sandbox.InspectAsync(container, CancellationToken.None))!.Pid);
        Assert.Single(_cell.Instances.Snapshot().Instances, r => r.InstanceId == start.InstanceId && r.State == InstanceState.Running);
    }

    [Fact]
    public async Task An_instance_that_ends_while_no_agent_runs_is_reported_crashed_with_its_recorded_exit()
    {
        // Listens (httpd daemonizes), then exits 7 a few seconds later: while no agent is there.
        var start = _cell.Start("busybox httpd -p $PORT -h /home/vcap/app; sleep 3; echo going away; exit 7");
        await _cell.Instances.StartAsync(start, CancellationToken.None);
        await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Running);
        _cell.Instances.Release();
        var container = InstanceManager.ContainerId(start.InstanceId);
        await WaitUntilAsync(async () => (await _cell.Sandbox.InspectAsync(container, CancellationToken.None))?.Pid is { } pid
            && !File.Exists($"/proc/{pid}/stat"), "the instance to exit");
        await Task.Delay(TimeSpan.FromSeconds(1));

        await _cell.RestartAgentAsync();
        await _cell.Instances.RestoreAsync(CancellationToken.None);

        var crashed = await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Crashed);
        Assert.Equal(7, crashed.ExitCode);
        Assert.Equal("exited 7", crashed.Reason);
        await WaitForLogAsync(start.AppId, e => e.Text == "going away"); // written while no agent ran, shipped by the next
        Assert.DoesNotContain(container, await _cell.Sandbox.ListAsync(CancellationToken.None));
        // The next heartbeat tells the same story as the state change, with the same version.
        var (reports, heartbeatVersion) = _cell.Instances.Snapshot();
        var ended = Assert.Single(reports, r => r.InstanceId == start.InstanceId);
        Assert.Equal((InstanceState.Crashed, "exited 7", 7, crashed.Version), (ended.State, ended.Reason, ended.ExitCode, ended.Version));
        Assert.True(heartbeatVersion > crashed.Version, $"heartbeat {heartbeatVersion} is not newer than the crash {crashed.Version}");
    }

    [Fact]
    public async Task An_instance_killed_for_its_memory_is_reported_as_out_of_memory()
    {
        // 64 MB limit; the shell then holds a 200 MB string.
        var start = _cell.Start("busybox httpd -p $PORT -h /home/vcap/app; sleep 1; x=$(busybox head -c 200000000 /dev/zero | busybox tr '\\0' a); echo ${#x}");
        await _cell.Instances.StartAsync(start, CancellationToken.None);
        await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Running);

        var crashed = await _cell.WaitForStateAsync(start.InstanceId, InstanceState.Crashed);
        Assert.Equal("out of memory", crashed.Reason);
    }

    [Fact]
    public async Task Containers_that_cannot_be_adopted_are_destroyed_at_restore()
    {
        // An instance-named container without the StartInstance it was made for: nothing to adopt it as.
        var id = InstanceManager.ContainerId(Guid.NewGuid());
        var layers = await _cell.LayerDirectoriesAsync();
        await _cell.Sandbox.StartAsync(new Sandbox.ContainerSpec { Id = id, Layers = layers, Args = ["/bin/sleep", "600"] },
            (_, _) => { }, CancellationToken.None);

        await _cell.RestartAgentAsync();
        await _cell.Instances.RestoreAsync(CancellationToken.None);

        Assert.DoesNotContain(id, await _cell.Sandbox.ListAsync(CancellationToken.None));
        Assert.Empty(_cell.Instances.Snapshot().Instances);
    }

    private List<int> Ticks(Guid appId) =>
        _cell.Dispatcher.Logs(appId).Where(e => e.Source == "APP/PROC/WEB" && e.Text.StartsWith("tick ", StringComparison.Ordinal))
            .Select(e => int.Parse(e.Text[5..], System.Globalization.CultureInfo.InvariantCulture)).ToList();

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        throw new TimeoutException("timed out waiting for " + what);
    }

    private Task WaitForLogAsync(Guid appId, Func<LogEntry, bool> match) => _cell.WaitForLogAsync(appId, match);

    private static IEnumerable<int> PidsInCgroupOf(Guid instanceId)
    {
        var needle = instanceId.ToString("N");
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string cgroup;
            try { cgroup = File.ReadAllText(Path.Combine(dir, "cgroup")); }
            catch (IOException) { continue; }
            if (cgroup.Contains(needle, StringComparison.Ordinal)) yield return pid;
        }
    }

    private static async Task<string> Run(string file, params string[] args) =>
        (await Platform.TestSupport.CommandResult.RunAsync(file, args)).Stdout;
}

public sealed class CellReportClockTests
{
    [Fact]
    public void Each_agent_start_takes_a_larger_epoch_even_when_the_clock_went_back()
    {
        var root = Path.Combine(Path.GetTempPath(), "report-clock-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = Microsoft.Extensions.Options.Options.Create(new Platform.Sandbox.SandboxOptions { Root = root });
            var time = new Platform.TestSupport.ManualTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
            var first = new CellReportClock(options, time, Microsoft.Extensions.Logging.Abstractions.NullLogger<CellReportClock>.Instance);
            var a = first.Next();
            var b = first.Next();
            Assert.True(b > a);

            time.Advance(TimeSpan.FromHours(-1)); // the cell's clock was set back between two agents
            var second = new CellReportClock(options, time, Microsoft.Extensions.Logging.Abstractions.NullLogger<CellReportClock>.Instance);
            Assert.True(second.Epoch > first.Epoch);
            Assert.True(second.Next() > b);

            Directory.Delete(root, recursive: true); // a wiped cell: its clock still moves it forward
            time.Advance(TimeSpan.FromHours(2));
            var third = new CellReportClock(options, time, Microsoft.Extensions.Logging.Abstractions.NullLogger<CellReportClock>.Instance);
            Assert.True(third.Epoch > second.Epoch);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
