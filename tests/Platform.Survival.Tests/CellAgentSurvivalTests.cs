using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Platform.TestSupport;
using Xunit.Abstractions;

namespace Platform.Survival.Tests;

/// <summary>
/// The cell agent can die or be upgraded without taking an instance down: instances run under their own monitors,
/// a new agent adopts them (same ids, same processes), their logs go on without gaps or repeats, and nothing is
/// started twice. And crashes are told apart and restarted with Cloud Foundry's back-off.
/// </summary>
[Collection(SplitPlatformCollection.Name)]
public sealed class CellAgentSurvivalTests(SplitPlatformFixture platform, ITestOutputHelper output)
{
    private static string SiteDir => Path.Combine(TestEnvironment.RepoRoot, "tests", "Platform.EndToEnd.Tests", "apps", "site");

    /// <summary>The end-to-end tests' static site plus a profile.d script that prints "tick N" every 200 ms.</summary>
    private static string TickingSite()
    {
        var dir = Path.Combine("/var/lib/platform/test", "ticker-" + Guid.NewGuid().ToString("N")[..8]);
        CopyDirectory(SiteDir, dir);
        Directory.CreateDirectory(Path.Combine(dir, ".profile.d"));
        File.WriteAllText(Path.Combine(dir, ".profile.d", "ticker.sh"),
            "( i=0; while true; do i=$((i+1)); echo \"tick $i\"; sleep 0.2; done ) &\n");
        return dir;
    }

    [Fact]
    public async Task Killing_the_cell_agent_takes_no_instance_down_and_a_new_agent_adopts_them()
    {
        var control = platform.Control;
        using var api = await control.ApiClientAsync();
        using var router = new HttpClient { BaseAddress = new Uri(control.RouterUrl), Timeout = TimeSpan.FromSeconds(10) };

        var siteDir = TickingSite();
        await using var cleanup = new AppCleanup(this, "ticker");
        var push = await control.PlatAsync(["push", "ticker", "-p", siteDir, "-m", "64M", "-i", "3"]);
        Directory.Delete(siteDir, recursive: true);
        Assert.True(push.ExitCode == 0, $"push failed: {push}\n{platform.Logs}");
        var before = await platform.WaitForRunningAsync(api, "ticker", 3);
        var pidsBefore = before.ToDictionary(i => i.Id, i => PidOf(i.Id));
        output.WriteLine("before: " + string.Join(", ", pidsBefore.Select(p => $"{p.Key} pid {p.Value}")));

        // Traffic through the router the whole time.
        var ok = 0;
        var failures = new List<string>();
        using var stopTraffic = new CancellationTokenSource();
        var traffic = Task.Run(async () =>
        {
            while (!stopTraffic.IsCancellationRequested)
            {
                try
                {
                    var (status, body) = await SplitPlatformFixture.GetAsync(router, "ticker.apps.localhost", "/");
                    if (status == HttpStatusCode.OK && body.Contains("Hello from the static site")) Interlocked.Increment(ref ok);
                    else lock (failures) failures.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {(int)status} {body[..Math.Min(body.Length, 100)]}");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    lock (failures) failures.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {e.GetType().Name}: {e.Message}");
                }
                await Task.Delay(20);
            }
        });

        await Task.Delay(TimeSpan.FromSeconds(2));
        var cell = platform.Cell;
        var killedPid = cell.Pid;
        await cell.KillAsync();
        output.WriteLine($"killed the cell agent (pid {killedPid}) at {DateTime.UtcNow:HH:mm:ss.fff}");
        await Task.Delay(TimeSpan.FromSeconds(4)); // traffic goes on meanwhile
        foreach (var (id, pid) in pidsBefore) Assert.True(IsAlive(pid), $"instance {id} (pid {pid}) died with the cell agent");

        await cell.RestartAsync();
        output.WriteLine($"cell agent restarted (pid {cell.Pid}) at {DateTime.UtcNow:HH:mm:ss.fff}");
        await platform.WaitUntilAsync(() => Task.FromResult(cell.Log.Contains("re-adopted 3 instances")),
            TimeSpan.FromSeconds(60), "the new agent to adopt the three instances");
        await Task.Delay(TimeSpan.FromSeconds(5)); // a few heartbeats of the new agent, and more traffic
        await stopTraffic.CancelAsync();
        await traffic;

        output.WriteLine($"requests: {ok} ok, {failures.Count} failed");
        Assert.True(failures.Count == 0, $"{failures.Count} requests failed:\n{string.Join("\n", failures.Take(20))}");
        Assert.True(ok > 100, $"only {ok} requests were made");

        // The same three instances, RUNNING, with the same processes: nothing started twice, nothing crashed.
        var after = await platform.InstancesAsync(api, "ticker");
        Assert.Equal(pidsBefore.Keys.Order(), after.Select(i => i.Id).Order());
        Assert.All(after, i => Assert.Equal("RUNNING", i.State));
        foreach (var i in after) Assert.Equal(pidsBefore[i.Id], PidOf(i.Id));
        var events = await platform.EventsAsync(api, "ticker");
        Assert.DoesNotContain(events, e => e.Type == "app.crash");

        // The logs go on: per instance every tick once, none missing, including those written while no agent ran.
        var lastTicks = new Dictionary<int, int>();
        await platform.WaitUntilAsync(async () =>
        {
            var logs = await platform.AllLogsAsync(api, "ticker");
            foreach (var index in new[] { 0, 1, 2 }) lastTicks[index] = Ticks(logs, index).DefaultIfEmpty(0).Max();
            return lastTicks.Values.All(t => t > 60);
        }, TimeSpan.FromSeconds(60), "ticks from every instance after the restart");
        var all = await platform.AllLogsAsync(api, "ticker");
        foreach (var index in new[] { 0, 1, 2 })
        {
            var ticks = Ticks(all, index);
            output.WriteLine($"instance {index}: ticks 1..{ticks.Max()} ({ticks.Count} lines)");
            Assert.Equal(Enumerable.Range(1, ticks.Count), ticks);
        }
        var recent = await control.PlatAsync(["logs", "ticker", "--recent"]);
        Assert.Contains("OUT tick ", recent.Stdout);
    }

    [Fact]
    public async Task Each_kind_of_crash_is_reported_with_its_reason()
    {
        var control = platform.Control;
        using var api = await control.ApiClientAsync();
        const string busybox = "/layers/busybox/bin/busybox";
        await using var cleanup = new AppCleanup(this, "exits", "oom", "killed");

        // Listens, then exits 3 a moment later.
        var exits = await control.PlatAsync(["push", "exits", "-p", SiteDir, "-m", "64M",
            "-c", $"{busybox} httpd -p $PORT -h /home/vcap/app; sleep 2; exit 3"]);
        Assert.True(exits.ExitCode == 0, exits.ToString());
        // Listens, then holds a 300 MB string in 64 MB.
        var oom = await control.PlatAsync(["push", "oom", "-p", SiteDir, "-m", "64M",
            "-c", $"{busybox} httpd -p $PORT -h /home/vcap/app; sleep 2; x=$(head -c 300000000 /dev/zero | tr '\\0' a); echo ${{#x}}"]);
        Assert.True(oom.ExitCode == 0, oom.ToString());
        // Serves until killed from the host.
        var killed = await control.PlatAsync(["push", "killed", "-p", SiteDir, "-m", "64M"]);
        Assert.True(killed.ExitCode == 0, killed.ToString());
        var victim = (await platform.WaitForRunningAsync(api, "killed", 1)).Single();
        var victimPid = PidOf(victim.Id);
        Assert.True(victimPid is not null, "no process recorded for the instance");
        Process.GetProcessById(victimPid.Value).Kill(); // SIGKILL to its init

        await WaitForCrashEventAsync(api, "exits", "crashed: exited 3");
        await WaitForCrashEventAsync(api, "oom", "crashed: out of memory");
        await WaitForCrashEventAsync(api, "killed", "crashed: killed by signal 9");
        var events = await control.PlatAsync(["events", "oom"]);
        Assert.Contains("out of memory", events.Stdout);
    }

    [Fact]
    public async Task A_crash_looping_app_is_restarted_with_back_off()
    {
        var control = platform.Control;
        using var api = await control.ApiClientAsync();
        await using var cleanup = new AppCleanup(this, "looper");
        var push = await control.PlatAsync(["push", "looper", "-p", SiteDir, "-m", "64M",
            "-c", "/layers/busybox/bin/busybox httpd -p $PORT -h /home/vcap/app; sleep 1; exit 3"]);
        Assert.True(push.ExitCode == 0, push.ToString());

        // Three restarts at once, then 30 s before the next: five crashes take more than 30 s.
        List<DateTimeOffset> crashes = [];
        await platform.WaitUntilAsync(async () =>
        {
            crashes = (await platform.EventsAsync(api, "looper")).Where(e => e.Type == "app.crash")
                .Select(e => e.Timestamp).Order().ToList();
            return crashes.Count >= 5;
        }, TimeSpan.FromSeconds(180), "five crashes");
        var gaps = crashes.Zip(crashes.Skip(1), (a, b) => b - a).ToList();
        output.WriteLine("gaps between crashes: " + string.Join(", ", gaps.Select(g => $"{g.TotalSeconds:F1} s")));
        // The first three crashes are restarted at once; the fourth waits 30 s.
        Assert.All(gaps.Take(3), g => Assert.True(g < TimeSpan.FromSeconds(25), $"an immediate restart took {g.TotalSeconds:F1} s"));
        Assert.True(gaps[3] >= TimeSpan.FromSeconds(30), $"the restart after the fourth crash came after {gaps[3].TotalSeconds:F1} s, not 30 s");
        var events = await platform.EventsAsync(api, "looper");
        Assert.All(events.Where(e => e.Type == "app.crash"), e => Assert.Contains("exited 3", e.Description));
    }

    /// <summary>
    /// Deletes the test's apps and waits for their containers to go when the test ends, passed or failed: a test that
    /// fails must not leave instances behind for the next one to count.
    /// </summary>
    private sealed class AppCleanup(CellAgentSurvivalTests test, params string[] apps) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var app in apps) await test.DeleteAsync(app);
        }
    }

    private async Task WaitForCrashEventAsync(HttpClient api, string app, string description) =>
        await platform.WaitUntilAsync(async () => (await platform.EventsAsync(api, app))
            .Any(e => e.Type == "app.crash" && e.Description.Contains(description)), TimeSpan.FromSeconds(90),
            $"an app.crash event of {app} saying '{description}'");

    /// <summary>Deletes the app if it exists (plat delete -f of an unknown app succeeds) and waits for its containers to go.</summary>
    private async Task DeleteAsync(string app)
    {
        var delete = await platform.Control.PlatAsync(["delete", app, "-f"]);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        await platform.WaitUntilAsync(() => Task.FromResult(ContainerDirectories().Count == 0 || !ContainerDirectories()
                .Any(d => File.ReadAllText(Path.Combine(d, "state.json")).Contains(app + "\\\"", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(60), $"the containers of {app} to go");
    }

    private List<string> ContainerDirectories()
    {
        var dir = Path.Combine(platform.Cell.SandboxRoot, "containers");
        return Directory.Exists(dir) ? Directory.EnumerateDirectories(dir).Where(d => File.Exists(Path.Combine(d, "state.json"))).ToList() : [];
    }

    /// <summary>The instance's init pid as its cell recorded it (state.json of its container).</summary>
    private int? PidOf(Guid instanceId)
    {
        var state = Path.Combine(platform.Cell.SandboxRoot, "containers", "i-" + instanceId.ToString("N"), "state.json");
        if (!File.Exists(state)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllText(state));
        return doc.RootElement.TryGetProperty("Pid", out var pid) && pid.ValueKind == JsonValueKind.Number ? pid.GetInt32() : null;
    }

    private static bool IsAlive(int? pid) =>
        pid is { } p && File.Exists($"/proc/{p}/stat") && !File.ReadAllText($"/proc/{p}/stat").Split(") ")[1].StartsWith('Z');

    private static List<int> Ticks(IEnumerable<Platform.Contracts.Api.LogLineResponse> logs, int index) =>
        logs.Where(l => l.Source == "APP/PROC/WEB" && l.SourceIndex == index && l.Text.StartsWith("tick ", StringComparison.Ordinal))
            .Select(l => int.Parse(l.Text[5..], System.Globalization.CultureInfo.InvariantCulture)).ToList();

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            var target = Path.Combine(to, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, File.GetUnixFileMode(file));
        }
        foreach (var dir in Directory.EnumerateDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
    }
}
