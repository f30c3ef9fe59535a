using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Platform.Contracts.Api;
using Platform.TestSupport;
using Xunit.Abstractions;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// The whole path, as a user walks it: push a static site with the real `plat` to a real `platd --dev`,
/// reach it through the router, scale it, crash an instance, read the logs, delete it, and check that
/// the host is left as it was.
/// </summary>
[Collection(PlatdCollection.Name)]
public sealed class PushScaleCrashDeleteTests(PlatdFixture fixture, ITestOutputHelper output)
{
    private PlatdProcess Platd => fixture.Platd;

    private static string SiteDir => Path.Combine(TestEnvironment.RepoRoot, "tests", "Platform.EndToEnd.Tests", "apps", "site");

    [Fact]
    public async Task Push_scale_crash_and_delete_a_static_site()
    {
        using var router = new HttpClient { BaseAddress = new Uri(Platd.RouterUrl), Timeout = TimeSpan.FromSeconds(10) };
        using var api = await Platd.ApiClientAsync();

        // Push: staging logs stream to the user, and the summary ends with the app running.
        var push = await Platd.PlatAsync(["push", "site", "-p", SiteDir, "-m", "128M"]);
        output.WriteLine(push.ToString());
        Assert.True(push.ExitCode == 0, $"push failed: {push}\nplatd log:\n{Platd.Log}");
        Assert.Contains("[STG/0]", push.Stdout + push.Stderr);
        Assert.Contains("site.apps.localhost", push.Stdout);

        // The page through the router, by Host header.
        var page = await GetAsync(router, "site.apps.localhost", "/");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("Hello from the static site", page.Body);

        // Scale to three: three RUNNING instances, each its own sandbox.
        var scale = await Platd.PlatAsync(["scale", "site", "-i", "3"]);
        Assert.True(scale.ExitCode == 0, scale.ToString());
        var running = await WaitForRunningAsync(api, "site", 3);
        Assert.Equal(3, running.Count);

        var seen = new Dictionary<string, Dictionary<string, string>>();
        for (var i = 0; i < 60 && seen.Count < 3; i++)
        {
            var info = await GetAsync(router, "site.apps.localhost", "/cgi-bin/info");
            Assert.Equal(HttpStatusCode.OK, info.Status);
            var kv = ParseInfo(info.Body);
            seen[kv["guid"]] = kv;
        }
        Assert.Equal(3, seen.Count); // round robin reached every instance
        foreach (var (guid, kv) in seen)
        {
            output.WriteLine(string.Join(", ", kv.Select(p => $"{p.Key}={p.Value}")));
            Assert.Equal(guid, kv["hostname"]);                                  // its own hostname
            Assert.True(int.Parse(kv["pids"]) < 15, $"instance sees {kv["pids"]} processes: not its own PID namespace");
            Assert.StartsWith("/.platform-init", kv["pid1"]);                  // the platform's init (catatonit) is PID 1
            Assert.Equal((128L * 1024 * 1024).ToString(), kv["memlimit"]);       // -m, from its cgroup
        }
        Assert.Equal(3, seen.Values.Select(v => v["hostname"]).Distinct().Count());

        // Crash: kill every process of instance 1 from the host; the scheduler starts a new one.
        var victim = running.Single(i => i.Index == 1);
        var killed = KillInstanceProcesses(victim.Id);
        Assert.True(killed > 0, $"no host process found for instance {victim.Id}");
        await WaitUntilAsync(async () =>
        {
            var now = await WaitForRunningAsync(api, "site", 3, TimeSpan.FromSeconds(5), throwOnTimeout: false);
            return now.Count == 3 && now.Any(i => i.Index == 1 && i.Id != victim.Id);
        }, TimeSpan.FromSeconds(90), "a replacement for the killed instance 1");

        var logs = await Platd.PlatAsync(["logs", "site", "--recent"]);
        Assert.Equal(0, logs.ExitCode);
        Assert.Contains("[APP/PROC/WEB/", logs.Stdout);
        Assert.Contains("[STG/0]", logs.Stdout);
        Assert.Contains(victim.Id.ToString(), logs.Stdout); // the crash is reported with the instance's guid
        var events = await api.GetFromJsonAsync<List<EventResponse>>(TestSpaces.Default + "/apps/site/events");
        Assert.Contains(events!, e => e.Type == "app.crash");

        // Delete: instances, routes, mounts, cgroups and network devices go.
        var ids = (await WaitForRunningAsync(api, "site", 3)).Select(i => i.Id).Append(victim.Id).ToList();
        var delete = await Platd.PlatAsync(["delete", "site", "-f"]);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        await WaitUntilAsync(async () => (await GetAsync(router, "site.apps.localhost", "/")).Status == HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(30), "the route to disappear");
        await WaitUntilAsync(() => Task.FromResult(ids.All(id => HostLeftovers.Of(id).Count == 0)),
            TimeSpan.FromSeconds(60), "every instance's mounts, netns, veth, rules and cgroups to be removed");
        // The one veth that may stay is the spare staging container's, started ahead of the next build (Staging:SpareContainer).
        await WaitUntilAsync(() => Task.FromResult(HostLeftovers.VethsOn(Platd.Bridge).Count <= 1),
            TimeSpan.FromSeconds(60), $"no veth but the spare staging container's left on the bridge {Platd.Bridge}");
        var app = await Platd.PlatAsync(["app", "site"]);
        Assert.NotEqual(0, app.ExitCode);
        Assert.Contains("not found", app.Stderr + app.Stdout);
    }

    private static Dictionary<string, string> ParseInfo(string body) =>
        body.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim());

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient http, string host, string path)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, path);
        req.Headers.Host = host;
        using var resp = await http.SendAsync(req);
        return (resp.StatusCode, await resp.Content.ReadAsStringAsync());
    }

    private async Task<List<InstanceResponse>> WaitForRunningAsync(HttpClient api, string app, int count,
        TimeSpan? timeout = null, bool throwOnTimeout = true)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        List<InstanceResponse> running = [];
        while (DateTime.UtcNow < deadline)
        {
            var detail = await api.GetFromJsonAsync<AppDetailResponse>($"{TestSpaces.Default}/apps/{app}");
            running = detail!.InstanceDetails.Where(i => i.State == "RUNNING").ToList();
            if (running.Count >= count) return running;
            await Task.Delay(250);
        }
        if (throwOnTimeout)
            throw new TimeoutException($"{app} did not reach {count} RUNNING instances (has {running.Count})\nplatd log:\n{Platd.Log}");
        return running;
    }

    private async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(250);
        }
        throw new TimeoutException($"timed out waiting for {what}\nplatd log:\n{Platd.Log}");
    }

    /// <summary>Kills, from the host, every process in the instance's cgroup, the way an operator or the OOM killer would.</summary>
    private static int KillInstanceProcesses(Guid instanceId)
    {
        var needle = instanceId.ToString("N");
        var killed = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string cgroup;
            try { cgroup = File.ReadAllText(Path.Combine(dir, "cgroup")); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            if (!cgroup.Contains(needle, StringComparison.Ordinal)) continue;
            try { Process.GetProcessById(pid).Kill(); killed++; }
            catch (ArgumentException) { }
            catch (InvalidOperationException) { }
        }
        return killed;
    }
}
