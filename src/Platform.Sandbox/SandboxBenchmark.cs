using System.Diagnostics;
using Platform.Sandbox.Rootfs;
using Platform.Sandbox.Runtime;

namespace Platform.Sandbox;

/// <summary>Start latency of a bare runtime run against the sandbox's whole StartAsync, measured side by side.</summary>
public sealed record StartTimings(string Runtime, int Iterations, TimeSpan BareRunMedian, TimeSpan SandboxStartMedian, bool WithNetwork)
{
    /// <summary>How many times longer the sandbox's start takes than the bare runtime's.</summary>
    public double Ratio => SandboxStartMedian / BareRunMedian;
}

/// <summary>For the benchmark project: what the sandbox adds on top of the OCI runtime.</summary>
public static class SandboxBenchmark
{
    /// <summary>
    /// Times <paramref name="iterations"/> bare `runtime run -d` of one prepared bundle (overlay mounted once, fresh
    /// network namespace, /bin/true) against as many StartAsync calls (overlay, network when
    /// <paramref name="withNetwork"/>, /etc files, bundle, run) of the same command, alternating the two.
    /// </summary>
    public static async Task<StartTimings> MeasureStartAsync(
        Sandbox sandbox, IReadOnlyList<string> layers, int iterations, bool withNetwork, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        var prefix = $"bench-{Guid.NewGuid().ToString("N")[..8]}";
        var bundle = sandbox.PathsOf(prefix + "-bundle");
        var spec = new ContainerSpec { Id = bundle.Id, Layers = layers, Args = ["/bin/true"] };
        Directory.CreateDirectory(bundle.Directory);
        var bare = new List<TimeSpan>();
        var full = new List<TimeSpan>();
        try
        {
            OverlayRootfs.Mount(layers, bundle.Upper, bundle.Work, bundle.Rootfs);
            foreach (var f in new[] { bundle.Hosts, bundle.Hostname, bundle.ResolvConf })
                await File.WriteAllTextAsync(f, "", cancellationToken);
            await BundleWriter.WriteAsync(spec, bundle, new BundleSettings($"/platform/{bundle.Id}", null, false, 1024, null), cancellationToken);

            for (var i = 0; i < iterations; i++)
            {
                var bareId = $"{prefix}-bare-{i}";
                var sw = Stopwatch.StartNew();
                var result = await sandbox.Runtime.RunAsync(["run", "--detach", "--bundle", bundle.Directory, bareId], cancellationToken);
                bare.Add(sw.Elapsed);
                await sandbox.Runtime.DeleteAsync(bareId, cancellationToken);
                if (!result.Succeeded) throw new SandboxException($"bare {sandbox.RuntimeName} run failed: {result.StandardError}");

                var id = $"{prefix}-full-{i}";
                sw.Restart();
                await sandbox.StartAsync(spec with { Id = id, ContainerPort = withNetwork ? 8080 : null }, (_, _) => { }, cancellationToken);
                full.Add(sw.Elapsed);
                await sandbox.DestroyAsync(id, TimeSpan.Zero, cancellationToken);
            }
        }
        finally
        {
            OverlayRootfs.UnmountAllUnder(bundle.Directory);
            if (OverlayRootfs.MountsUnder(bundle.Directory).Count == 0 && Directory.Exists(bundle.Directory))
                Directory.Delete(bundle.Directory, recursive: true);
        }
        return new StartTimings(sandbox.RuntimeName, iterations, Median(bare), Median(full), withNetwork);
    }

    private static TimeSpan Median(List<TimeSpan> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
