using System.Diagnostics;
using System.Net.Http.Json;
using Platform.Contracts.Api;
using Platform.TestSupport;

namespace Platform.Benchmarks;

/// <summary>
/// What an idle instance costs its cell now that each runs under its own monitor: the monitor's (conmon's) resident
/// memory, and what the agent (platd) keeps per instance (its RSS with N idle instances against 0, after a full
/// GC-settling pause); and how long taking N instances down takes.
/// </summary>
public static class SurvivalBenchmark
{
    /// <param name="MonitorPssAvgKb">A monitor's proportional set size: its private pages plus its share of the pages it
    /// shares with the other monitors (conmon's and glib's code): what each one really adds.</param>
    /// <param name="MonitorPrivateAvgKb">A monitor's private pages only (smaps_rollup Private_*).</param>
    public sealed record Result(int Instances, double AgentRssIdleMb, double AgentRssWithInstancesMb, double AgentPerInstanceKb,
        double MonitorRssAvgKb, double MonitorRssMaxKb, double MonitorPssAvgKb, double MonitorPrivateAvgKb,
        double TeardownTotalMs, double TeardownPerInstanceMs);

    public static async Task<Result> RunAsync(int instances)
    {
        // Host ports for every instance (the test default is a hundred, some taken by staging).
        await using var platd = await PlatdProcess.StartAsync(subnetOctet: 254, new Dictionary<string, string>
        {
            ["Sandbox:Network:HostPortRangeStart"] = "63500",
            ["Sandbox:Network:HostPortRangeEnd"] = "63799",
        });
        using var api = await platd.ApiClientAsync();
        var site = Path.Combine(TestEnvironment.RepoRoot, "tests", "Platform.EndToEnd.Tests", "apps", "site");
        await Run(platd, ["push", "site", "-p", site, "-m", "32M", "-i", "1"]);
        await WaitForAsync(api, running: 1);
        await Run(platd, ["scale", "site", "-i", "0"]);
        await WaitForContainersAsync(platd, 0);
        await Task.Delay(TimeSpan.FromSeconds(10));
        var idle = RssKb(platd.Pid);

        await Run(platd, ["scale", "site", "-i", instances.ToString()]);
        try { await WaitForAsync(api, running: instances); }
        catch (TimeoutException)
        {
            var log = Path.Combine(Path.GetTempPath(), $"platd-idle-{platd.Pid}.log");
            await File.WriteAllTextAsync(log, platd.Log);
            throw new TimeoutException($"site did not reach {instances} RUNNING instances; platd's log is in {log}");
        }
        await Task.Delay(TimeSpan.FromSeconds(10)); // idle: a few heartbeats, log reads and exit polls
        var loaded = RssKb(platd.Pid);
        var monitorPids = Directory.EnumerateDirectories(Path.Combine(platd.DataDir, "sandbox", "containers"))
            .Select(d => Path.Combine(d, "conmon.pid")).Where(File.Exists)
            .Select(f => int.Parse(File.ReadAllText(f).Trim())).ToList();
        var monitors = monitorPids.Select(RssKb).ToList();
        var pss = monitorPids.Select(p => Rollup(p, "Pss:")).ToList();
        var privateKb = monitorPids.Select(p => Rollup(p, "Private_Clean:") + Rollup(p, "Private_Dirty:")).ToList();

        var clock = Stopwatch.StartNew();
        await Run(platd, ["scale", "site", "-i", "0"]);
        await WaitForContainersAsync(platd, 0);
        var teardown = clock.Elapsed.TotalMilliseconds;
        await Run(platd, ["delete", "site", "-f"]);

        return new Result(instances, idle / 1024.0, loaded / 1024.0, (loaded - idle) / (double)instances,
            monitors.Average(), monitors.Max(), pss.Average(), privateKb.Average(), teardown, teardown / instances);
    }

    private static async Task Run(PlatdProcess platd, string[] args)
    {
        var result = await platd.PlatAsync(args);
        if (result.ExitCode != 0) throw new InvalidOperationException($"plat {string.Join(' ', args)} failed: {result}");
    }

    private static async Task WaitForAsync(HttpClient api, int running)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(6);
        while (DateTime.UtcNow < deadline)
        {
            var detail = await api.GetFromJsonAsync<AppDetailResponse>(TestSpaces.Default + "/apps/site");
            if (detail!.InstanceDetails.Count(i => i.State == "RUNNING") >= running) return;
            await Task.Delay(200);
        }
        throw new TimeoutException($"site did not reach {running} RUNNING instances");
    }

    private static async Task WaitForContainersAsync(PlatdProcess platd, int count)
    {
        var dir = Path.Combine(platd.DataDir, "sandbox", "containers");
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (DateTime.UtcNow < deadline)
        {
            var n = Directory.Exists(dir) ? Directory.EnumerateDirectories(dir).Count(d => Path.GetFileName(d).StartsWith("i-", StringComparison.Ordinal)) : 0;
            if (n == count) return;
            await Task.Delay(20);
        }
        throw new TimeoutException($"the cell did not get to {count} containers");
    }

    /// <summary>A field of /proc/PID/smaps_rollup in KiB.</summary>
    private static long Rollup(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/smaps_rollup").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    /// <summary>VmRSS of the process in KiB.</summary>
    private static long RssKb(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }
}
