using System.Globalization;
using Platform.Benchmarks;

// Speed is measured here, side by side in one run, never asserted in tests. See docs/benchmarks.md.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var what = args.FirstOrDefault() ?? "all";

if (what is "all" or "sandbox")
{
    Console.WriteLine("## Sandbox create+start to the app process running: ours vs the bare OCI runtime, same rootfs");
    var rows = await SandboxBenchmark.RunAsync(iterations: 20);
    Console.WriteLine($"| {"what",-44} | {"median ms",10} | {"p90 ms",8} |");
    Console.WriteLine($"|{new string('-', 46)}|{new string('-', 12)}|{new string('-', 10)}|");
    foreach (var r in rows) Console.WriteLine($"| {r.What,-44} | {r.MedianMs,10:F1} | {r.P90Ms,8:F1} |");
    var bare = rows[0].MedianMs;
    foreach (var r in rows.Skip(1)) Console.WriteLine($"ratio {r.What} / {rows[0].What}: {r.MedianMs / bare:F2}x");
    Console.WriteLine();
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

if (what is "all" or "cell")
{
    Console.WriteLine("## Cell: memory per idle instance (agent bookkeeping + its conmon monitor) and teardown");
    var r = await SurvivalBenchmark.RunAsync(instances: 10);
    Console.WriteLine($"| instances | agent RSS idle MB | agent RSS with them MB | agent KB/instance | conmon RSS avg KB | conmon RSS max KB | teardown ms | teardown ms/instance |");
    Console.WriteLine("|-----------|-------------------|------------------------|-------------------|-------------------|-------------------|-------------|----------------------|");
    Console.WriteLine($"| {r.Instances,9} | {r.AgentRssIdleMb,17:F1} | {r.AgentRssWithInstancesMb,22:F1} | {r.AgentPerInstanceKb,17:F0} | {r.MonitorRssAvgKb,17:F0} | {r.MonitorRssMaxKb,17:F0} | {r.TeardownTotalMs,11:F0} | {r.TeardownPerInstanceMs,20:F0} |");
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
