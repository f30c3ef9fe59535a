using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Sandbox;
using Platform.TestSupport;

namespace Platform.Benchmarks;

/// <summary>
/// Sandbox start, side by side in one run: a bare `runtime run` of a minimal bundle on the stack rootfs,
/// against our Sandbox (overlay rootfs, bundle, cgroup limits, conmon monitor; then with a network namespace,
/// veth and port mapping too), each timed to the app's process running, plus our teardown.
/// </summary>
public static class SandboxBenchmark
{
    public sealed record Row(string What, double MedianMs, double P90Ms);

    /// <summary>One runtime's rows: the bare reference first, then ours. <paramref name="runtimeName"/>: runc or crun.</summary>
    public static async Task<List<Row>> RunAsync(int iterations, string runtimeName)
    {
        var stack = TestEnvironment.StackRootfs;
        var root = Path.Combine("/var/lib/platform/test", "bench-" + Guid.NewGuid().ToString("N")[..8]);
        var sandbox = new Sandbox.Sandbox(Options.Create(new SandboxOptions
        {
            Root = Path.Combine(root, "sandbox"),
            Runtime = runtimeName,
            Network = new SandboxNetworkOptions { Bridge = "pltb247", Subnet = "10.247.0.0/16", ChainPrefix = "PLTBENCH" },
        }), Environment.GetEnvironmentVariable("PLATFORM_BENCH_LOG") == "1" ? new StderrLogger() : null);
        var runtime = sandbox.Runtime;
        Console.WriteLine($"runtime: {runtime.Name} ({runtime.Reason})");

        var bare = new List<double>();
        var bareOurs = new List<double>();
        var ours = new List<double>();
        var oursNet = new List<double>();
        var teardown = new List<double>();
        var bundle = Path.Combine(root, "bare");
        Directory.CreateDirectory(bundle);
        await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), BareConfig(stack).ToJsonString());
        // The same runtime on the bundle we write for a container (seccomp filter, masked paths, capabilities, limits),
        // made from the warm-up container's: what the runtime itself costs for our hardening, without the rest of ours.
        var ourBundle = Path.Combine(root, "ours");

        // Both sides are timed from nothing to the app's process running: `runtime run -d` returns once it
        // runs; our StartAsync returns once the runtime has started it. Each container is then torn down.
        for (var i = -1; i < iterations; i++) // i = -1 warms caches and is not counted
        {
            var bareMs = await BareRunAsync(runtime, bundle, $"bench-bare-{i + 1}");
            if (i >= 0) bare.Add(bareMs);
            if (i >= 0) bareOurs.Add(await BareRunAsync(runtime, ourBundle, $"bench-bare-ours-{i + 1}"));

            foreach (var (list, port) in new[] { (ours, (int?)null), (oursNet, (int?)8080) })
            {
                var cid = $"bench-{(port is null ? "plain" : "net")}-{i + 1}";
                var sw = Stopwatch.StartNew();
                await sandbox.StartAsync(new ContainerSpec
                {
                    Id = cid, Layers = [stack], Args = ["/bin/sleep", "60"], MemoryLimitBytes = 64L << 20, ContainerPort = port,
                }, (_, _) => { }, CancellationToken.None);
                if (i >= 0) list.Add(sw.Elapsed.TotalMilliseconds);
                if (i == -1 && port is null) await CopyBundleAsync(sandbox.PathsOf(cid).Directory, ourBundle, stack);
                sw.Restart();
                await sandbox.DestroyAsync(cid, TimeSpan.Zero, CancellationToken.None);
                if (i >= 0 && port is not null) teardown.Add(sw.Elapsed.TotalMilliseconds);
            }
        }
        await sandbox.Networker.RemoveHostNetworkAsync(CancellationToken.None);
        Directory.Delete(root, recursive: true);
        return
        [
            Summarize($"bare {runtime.Name} run -d{(runtime.HidesUnifiedCgroup ? " (in unshare -m, unified umounted)" : "")}", bare),
            Summarize($"bare {runtime.Name} run -d of our bundle (seccomp, masks, limits)", bareOurs),
            Summarize("ours: overlay + bundle + cgroups + monitor", ours),
            Summarize("ours: + netns, veth, port mapping", oursNet),
            Summarize("ours: teardown (with network)", teardown),
        ];
    }

    /// <summary>`runtime run -d` of a bundle, timed until it returns (the process runs), then deleted.</summary>
    private static async Task<double> BareRunAsync(Sandbox.Runtime.OciRuntime runtime, string bundle, string id)
    {
        var run = runtime.StartInfo(["run", "-d", "--bundle", bundle, id]);
        var shell = string.Join(' ', new[] { run.FileName }.Concat(run.ArgumentList).Select(Quote)) + " </dev/null >/dev/null 2>&1";
        var sw = Stopwatch.StartNew();
        var result = await CommandResult.RunAsync("/bin/sh", ["-c", shell]);
        var ms = sw.Elapsed.TotalMilliseconds;
        if (result.ExitCode != 0) throw new InvalidOperationException($"bare {runtime.Name} run -d of {bundle} failed: {result}");
        var delete = runtime.StartInfo(["delete", "-f", id]);
        await CommandResult.RunAsync(delete.FileName, delete.ArgumentList);
        return ms;
    }

    /// <summary>A container's config.json and /etc files, on the stack rootfs directly (read-only), as a bundle of its own.</summary>
    private static async Task CopyBundleAsync(string container, string target, string rootfs)
    {
        Directory.CreateDirectory(target);
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(container, "config.json")))!.AsObject();
        config["root"] = new JsonObject { ["path"] = rootfs, ["readonly"] = true };
        foreach (var mount in config["mounts"]!.AsArray())
        {
            var source = mount!["source"]!.GetValue<string>();
            if (!source.StartsWith(container + "/", StringComparison.Ordinal)) continue;
            var copy = Path.Combine(target, Path.GetFileName(source));
            File.Copy(source, copy, overwrite: true);
            mount["source"] = copy;
        }
        config["linux"]!["cgroupsPath"] = "/platform/bench-bare-ours";
        await File.WriteAllTextAsync(Path.Combine(target, "config.json"), config.ToJsonString());
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    private static Row Summarize(string what, List<double> xs)
    {
        xs.Sort();
        return new Row(what, xs[xs.Count / 2], xs[(int)Math.Ceiling(xs.Count * 0.9) - 1]);
    }

    /// <summary>The smallest sensible bundle: what `runc spec` writes, read-only rootfs, a process that stays up.</summary>
    private static JsonObject BareConfig(string rootfs) => new()
    {
        ["ociVersion"] = "1.0.2",
        ["process"] = new JsonObject
        {
            ["terminal"] = false,
            ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
            ["args"] = new JsonArray("/bin/sleep", "60"),
            ["env"] = new JsonArray("PATH=/usr/sbin:/usr/bin:/sbin:/bin"),
            ["cwd"] = "/",
            ["noNewPrivileges"] = true,
        },
        ["root"] = new JsonObject { ["path"] = rootfs, ["readonly"] = true },
        ["hostname"] = "bare",
        ["mounts"] = new JsonArray(
            new JsonObject { ["destination"] = "/proc", ["type"] = "proc", ["source"] = "proc" },
            new JsonObject { ["destination"] = "/dev", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("nosuid", "strictatime", "mode=755", "size=65536k") }),
        ["linux"] = new JsonObject
        {
            ["namespaces"] = new JsonArray(
                new JsonObject { ["type"] = "pid" }, new JsonObject { ["type"] = "mount" },
                new JsonObject { ["type"] = "ipc" }, new JsonObject { ["type"] = "uts" }),
            ["resources"] = new JsonObject { ["memory"] = new JsonObject { ["limit"] = 64L << 20 } },
        },
    };
}

/// <summary>The sandbox's own log lines on stderr (PLATFORM_BENCH_LOG=1): where a start's time goes, by step.</summary>
internal sealed class StderrLogger : Microsoft.Extensions.Logging.ILogger<Sandbox.Sandbox>
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Information;
    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state,
        Exception? exception, Func<TState, Exception?, string> formatter) => Console.Error.WriteLine(formatter(state, exception));
}
