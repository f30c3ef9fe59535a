using System.Diagnostics;
using Microsoft.Extensions.Options;
using Platform.Sandbox;
using Platform.TestSupport;

namespace Platform.Benchmarks;

/// <summary>
/// What idle instances cost beyond the apps themselves, at the sandbox: this process is the agent (it starts N idle
/// containers as the cell does: vcap, catatonit, network, limits, every output line handled), and each container
/// has its monitor (conmon). Measured: this process's RSS and managed heap with N against 0 (after full GCs), each
/// monitor's RSS, PSS (its share of pages shared with the other monitors) and private memory. Then the agent
/// "restarts" (a new Sandbox on the same root adopts every container; the old one lets go), the adopted are checked
/// alive, and all are torn down.
/// </summary>
public static class IdleBenchmark
{
    public sealed record Result(int Instances, string Runtime, double AgentRssDeltaMb, double AgentHeapDeltaMb,
        double MonitorRssMb, double MonitorPssMb, double MonitorPrivateMb, int Adopted, int AliveAfterAdoption, double TeardownMsPerInstance)
    {
        public double PlatformMbPerInstance => AgentRssDeltaMb / Instances + MonitorPssMb;
    }

    public static async Task<Result> RunAsync(int instances)
    {
        var root = Path.Combine("/var/lib/platform/test", "idle-" + Guid.NewGuid().ToString("N")[..8]);
        var options = new SandboxOptions
        {
            Root = Path.Combine(root, "sandbox"),
            InitPath = File.Exists("/usr/bin/catatonit") ? "/usr/bin/catatonit" : null,
            Network = new SandboxNetworkOptions { Bridge = "pltb246", Subnet = "10.246.0.0/16", ChainPrefix = "PLTIDLE", HostPortRangeStart = 64000, HostPortRangeEnd = 64499 },
        };
        var sandbox = new Sandbox.Sandbox(Options.Create(options));
        await sandbox.Networker.EnsureHostNetworkAsync(CancellationToken.None);
        var ids = Enumerable.Range(0, instances).Select(i => $"idle-{i}").ToList();
        long lines = 0;
        try
        {
            var (rss0, heap0) = Settle();
            foreach (var id in ids)
                await sandbox.StartAsync(new ContainerSpec
                {
                    Id = id, Layers = [TestEnvironment.StackRootfs], User = new ContainerUser(2000, 2000), ContainerPort = 8080,
                    MemoryLimitBytes = 32L << 20, Args = ["/bin/sh", "-c", "echo started; exec sleep 3600"],
                    Annotations = new Dictionary<string, string> { ["what"] = "idle benchmark" },
                }, line => Interlocked.Increment(ref lines), CancellationToken.None);
            // Idle for a while: the watchers' polls, timers and buffers are what an idle cell pays for.
            await Task.Delay(TimeSpan.FromSeconds(15));
            var (rss1, heap1) = Settle();
            var monitors = ids.Select(id => int.Parse(File.ReadAllText(Path.Combine(sandbox.PathsOf(id).Directory, "conmon.pid")).Trim())).ToList();
            var monitorRss = monitors.Average(p => Status(p, "VmRSS:"));
            var monitorPss = monitors.Average(p => Rollup(p, "Pss:"));
            var monitorPrivate = monitors.Average(p => Rollup(p, "Private_Clean:") + Rollup(p, "Private_Dirty:"));

            // A new agent: the old one lets go, the new one adopts each container and follows it on.
            sandbox.ReleaseAll();
            var next = new Sandbox.Sandbox(Options.Create(options));
            var adopted = 0;
            foreach (var id in ids)
                if (await next.AdoptAsync(id, _ => line => Interlocked.Increment(ref lines), CancellationToken.None) is { ExitedMeanwhile: false })
                    adopted++;
            var alive = ids.Count(id => next.InspectAsync(id, CancellationToken.None).Result is { Pid: { } pid } && Directory.Exists($"/proc/{pid}"));
            sandbox = next;

            var clock = Stopwatch.StartNew();
            foreach (var id in ids) await sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None);
            var teardown = clock.Elapsed.TotalMilliseconds / instances;
            return new Result(instances, sandbox.RuntimeName, (rss1 - rss0) / 1024.0, (heap1 - heap0) / 1024.0 / 1024.0,
                monitorRss / 1024.0, monitorPss / 1024.0, monitorPrivate / 1024.0, adopted, alive, teardown);
        }
        finally
        {
            foreach (var id in await sandbox.ListAsync(CancellationToken.None))
                await sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None);
            await sandbox.Networker.RemoveHostNetworkAsync(CancellationToken.None);
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>This process's RSS (KiB) and managed heap (bytes) after full, compacting collections.</summary>
    private static (long RssKb, long HeapBytes) Settle()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return (Status(Environment.ProcessId, "VmRSS:"), GC.GetTotalMemory(forceFullCollection: true));
    }

    private static long Status(int pid, string field) => Field($"/proc/{pid}/status", field);
    private static long Rollup(int pid, string field) => Field($"/proc/{pid}/smaps_rollup", field);

    private static long Field(string file, string field)
    {
        var line = File.ReadLines(file).First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }
}
