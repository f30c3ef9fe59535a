using System.Globalization;
using Platform.Benchmarks;

// Speed is measured here, side by side in one run, never asserted in tests. See docs/benchmarks.md.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var what = args.FirstOrDefault() ?? "all";

if (what is "all" or "sandbox")
{
    Console.WriteLine("## Sandbox create+start to the app process running: ours vs the bare OCI runtime, same rootfs");
    // Both runtimes, each against its own bare `run -d` (crun, on a hybrid host, as the sandbox runs it: in a private
    // mount namespace without the cgroup2 mount).
    foreach (var runtime in new[] { "runc", "crun" })
    {
        var rows = await SandboxBenchmark.RunAsync(iterations: 20, runtime);
        Console.WriteLine($"| {"what",-52} | {"median ms",10} | {"p90 ms",8} | {"ratio",6} |");
        Console.WriteLine($"|{new string('-', 54)}|{new string('-', 12)}|{new string('-', 10)}|{new string('-', 8)}|");
        var bare = rows[0].MedianMs;
        foreach (var r in rows) Console.WriteLine($"| {r.What,-52} | {r.MedianMs,10:F1} | {r.P90Ms,8:F1} | {r.MedianMs / bare,5:F2}x |");
        Console.WriteLine();
    }
}

if (what is "all" or "push")
{
    Console.WriteLine("## Push of the static site to platd --dev, by phase (ms)");
    var runs = await PushBenchmark.RunAsync(warmRuns: 3);
    Console.WriteLine($"| {"run",-8} | {"upload",7} | {"staging",8} | {"placement",9} | {"sandbox start",13} | {"first routed",12} | {"total",8} |");
    Console.WriteLine("|----------|---------|----------|-----------|---------------|--------------|----------|");
    foreach (var r in runs)
        Console.WriteLine($"| {r.Run,-8} | {r.Upload,7:F0} | {r.Staging,8:F0} | {r.Placement,9:F0} | {r.SandboxStart,13:F0} | {r.FirstRouted,12:F0} | {r.Total,8:F0} |");
    Console.WriteLine();
    Console.WriteLine("Staging by step (ms): the build reaching the stager, then the stager's own log timestamps, then its end reaching the API, then the rest (polling):");
    Console.WriteLine($"| {"run",-8} | {"to stager",9} | {"package+detect",14} | {"dependencies",12} | {"supply..release",15} | {"pack+upload",11} | {"to the API",10} | {"rest",6} |");
    Console.WriteLine("|----------|-----------|----------------|--------------|-----------------|-------------|------------|--------|");
    foreach (var r in runs)
        Console.WriteLine($"| {r.Run,-8} | {r.Steps.ToStager,9:F0} | {r.Steps.ToDetected,14:F0} | {r.Steps.Dependencies,12:F0} | {r.Steps.Steps,15:F0} | {r.Steps.PackAndUpload,11:F0} | {r.Steps.ToApi,10:F0} | {r.Steps.Rest,6:F0} |");
}

if (what is "all" or "match")
{
    Console.WriteLine("## Resource matching: bytes plat sends for a 50 MB app, first push and re-pushes");
    var rows = await ResourceMatchBenchmark.RunAsync();
    Console.WriteLine($"| {"push",-34} | {"app MB",7} | {"sent KB",9} | {"sent / app",10} | {"files sent",12} | {"seconds",7} |");
    Console.WriteLine("|------------------------------------|---------|-----------|------------|--------------|---------|");
    foreach (var r in rows)
        Console.WriteLine($"| {r.What,-34} | {r.AppBytes / 1048576.0,7:F1} | {r.SentBytes / 1024.0,9:F0} | {100.0 * r.SentBytes / r.AppBytes,9:F2}% | {r.FilesSent,5} of {r.Files,3} | {r.Seconds,7:F1} |");
    Console.WriteLine();
}

if (what is "idle")
{
    Console.WriteLine("## Idle instances at the sandbox: 100 containers, this process as their agent, one monitor each");
    var r = await IdleBenchmark.RunAsync(instances: 100);
    Console.WriteLine("| instances | runtime | agent RSS delta MB | agent heap delta MB | agent MB/instance | monitor RSS MB | monitor PSS MB | monitor private MB | platform MB/instance (agent + monitor PSS) | adopted by a new agent | alive after | teardown ms/instance |");
    Console.WriteLine("|-----------|---------|--------------------|---------------------|-------------------|----------------|----------------|--------------------|--------------------------------------------|------------------------|-------------|----------------------|");
    Console.WriteLine($"| {r.Instances,9} | {r.Runtime,7} | {r.AgentRssDeltaMb,18:F1} | {r.AgentHeapDeltaMb,19:F2} | {r.AgentRssDeltaMb / r.Instances,17:F3} | {r.MonitorRssMb,14:F2} | {r.MonitorPssMb,14:F2} | {r.MonitorPrivateMb,18:F2} | {r.PlatformMbPerInstance,42:F2} | {r.Adopted,22} | {r.AliveAfterAdoption,11} | {r.TeardownMsPerInstance,20:F0} |");
    Console.WriteLine();
}

if (what is "all" or "cell")
{
    var n = 10;
    Console.WriteLine($"## Cell: memory per idle instance (agent bookkeeping + its conmon monitor), {n} instances, and teardown");
    var r = await SurvivalBenchmark.RunAsync(instances: n);
    Console.WriteLine("| instances | agent RSS idle MB | agent RSS with them MB | agent MB/instance | monitor RSS MB | monitor PSS MB | monitor private MB | platform MB/instance (agent + monitor PSS) | teardown ms/instance |");
    Console.WriteLine("|-----------|-------------------|------------------------|-------------------|----------------|----------------|--------------------|--------------------------------------------|----------------------|");
    Console.WriteLine($"| {r.Instances,9} | {r.AgentRssIdleMb,17:F1} | {r.AgentRssWithInstancesMb,22:F1} | {r.AgentPerInstanceKb / 1024,17:F2} | {r.MonitorRssAvgKb / 1024,14:F2} | {r.MonitorPssAvgKb / 1024,14:F2} | {r.MonitorPrivateAvgKb / 1024,18:F2} | {(r.AgentPerInstanceKb + r.MonitorPssAvgKb) / 1024,42:F2} | {r.TeardownPerInstanceMs,20:F0} |");
    Console.WriteLine();
}

if (what is "java")
{
    Console.WriteLine("## Java WAR (javax, Tomcat 9, -m 1G): platform push vs the same JRE + Tomcat started by hand (ms)");
    var rows = await JavaBenchmark.RunAsync(pushes: 3, byHand: 3);
    Console.WriteLine($"| {"run",-30} | {"upload",7} | {"staging",8} | {"start to first response",23} | {"total",8} |");
    Console.WriteLine("|--------------------------------|---------|----------|-------------------------|----------|");
    foreach (var r in rows)
        Console.WriteLine($"| {r.What,-30} | {r.UploadMs,7:F0} | {r.StagingMs,8:F0} | {r.StartToFirstResponseMs,23:F0} | {r.TotalMs,8:F0} |");
    static double Median(IEnumerable<double> xs) { var a = xs.Order().ToArray(); return a[a.Length / 2]; }
    var pushed = rows.Where(r => r.What.StartsWith("platform", StringComparison.Ordinal)).ToList();
    var byHand = Median(rows.Where(r => r.What.StartsWith("by hand", StringComparison.Ordinal)).Select(r => r.StartToFirstResponseMs));
    Console.WriteLine($"ratio push-to-first-response (median) / by-hand start-to-first-response (median): {Median(pushed.Select(r => r.TotalMs)) / byHand:F2}x");
    Console.WriteLine($"ratio platform start-to-first-response (median) / by hand: {Median(pushed.Select(r => r.StartToFirstResponseMs)) / byHand:F2}x");
}

if (what is "all" or "node")
{
    Console.WriteLine("## Node app (tests/apps/node): plat push to first response vs the same droplet started by hand");
    var rows = await NodeBenchmark.RunAsync();
    Console.WriteLine($"| {"what",-70} | {"ms",9} |");
    Console.WriteLine($"|{new string('-', 72)}|{new string('-', 11)}|");
    foreach (var r in rows) Console.WriteLine($"| {r.What,-70} | {r.Ms,9:F0} |");
    var byHand = rows[^1].Ms;
    foreach (var r in rows.SkipLast(1)) Console.WriteLine($"ratio {r.What} / by hand: {r.Ms / byHand:F1}x");
}

if (what is "all" or "router")
{
    Console.WriteLine("## Router: wrk -t1 (keep-alive) on one trivial backend (nginx static file), nginx vs ours, same run");
    var rows = await RouterBenchmark.RunAsync(connections: [16, 64], rounds: 3);
    static double Median(IEnumerable<double> xs) { var a = xs.Order().ToArray(); return a[a.Length / 2]; }
    Console.WriteLine($"| {"what",-28} | {"conns",5} | {"rps",8} | {"p50 ms",7} | {"p99 ms",7} | {"added p50",9} | {"added p99",9} | {"rps / nginx",11} | {"errors",6} |");
    Console.WriteLine("|------------------------------|-------|----------|---------|---------|-----------|-----------|-------------|--------|");
    foreach (var byConnections in rows.GroupBy(r => r.Connections))
    {
        var summary = byConnections.GroupBy(r => r.What).Select(g => (What: g.Key,
            Rps: Median(g.Select(r => r.Result.Rps)), P50: Median(g.Select(r => r.Result.P50Ms)),
            P99: Median(g.Select(r => r.Result.P99Ms)), Errors: g.Sum(r => r.Result.Errors))).ToList();
        var direct = summary[0];
        var nginx = summary[1];
        foreach (var s in summary)
        {
            var added = s == direct ? "" : $"{s.P50 - direct.P50,9:F2} | {s.P99 - direct.P99,9:F2}";
            var ratio = s == direct ? "" : $"{s.Rps / nginx.Rps,10:F2}x";
            Console.WriteLine($"| {s.What,-28} | {byConnections.Key,5} | {s.Rps,8:F0} | {s.P50,7:F2} | {s.P99,7:F2} | {(added.Length == 0 ? $"{"",9} | {"",9}" : added)} | {ratio,11} | {s.Errors,6} |");
        }
    }
    Console.WriteLine("(median of 3 rounds of 8 s after a 3 s warm-up each; added = minus the backend's own latency)");
}
