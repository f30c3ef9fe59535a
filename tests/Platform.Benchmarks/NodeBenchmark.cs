using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Platform.TestSupport;

namespace Platform.Benchmarks;

/// <summary>
/// The Node test app (tests/apps/node, one npm dependency): `plat push` to the first 200 through the router, on a
/// fresh platd (cold: npm ci, every layer fetched and unpacked) and again under another name (warm: debs and
/// layers cached), beside the same droplet started by hand: its layers (the same Debian node binary, the app
/// with its node_modules) unpacked and overlaid on the host, chrooted into, its start command run with no
/// namespaces, cgroups, network or platform, timed from spawn to the first 200.
/// </summary>
public static partial class NodeBenchmark
{
    public sealed record Row(string What, double Ms);

    public static async Task<List<Row>> RunAsync()
    {
        var app = Path.Combine(TestEnvironment.RepoRoot, "tests", "apps", "node");
        await using var platd = await PlatdProcess.StartAsync(subnetOctet: 238,
            new Dictionary<string, string> { ["Sandbox:Network:ChainPrefix"] = "PLBPB" }); // chains of its own: npm goes through them
        var rows = new List<Row>();
        var (cold, output) = await PushToFirstResponseAsync(platd, app, "node-bench-cold");
        rows.Add(new Row("plat push -> first 200 (cold)", cold));
        var (warm, _) = await PushToFirstResponseAsync(platd, app, "node-bench-warm");
        rows.Add(new Row("plat push -> first 200 (warm)", warm));

        var layers = LayerLine().Matches(output).Select(m => (Name: m.Groups[1].Value, Digest: m.Groups[2].Value))
            .DistinctBy(l => l.Name).ToList();
        var command = StartCommand().Match(output).Groups[1].Value.Trim();
        rows.Add(new Row($"by hand: chroot of the same layers, `{command}` -> first 200", await ByHandAsync(platd, layers, command)));
        return rows;
    }

    private static async Task<(double Ms, string Output)> PushToFirstResponseAsync(PlatdProcess platd, string app, string name)
    {
        var sw = Stopwatch.StartNew();
        var push = await platd.PlatAsync(["push", name, "-p", app, "-m", "256M"], timeout: TimeSpan.FromMinutes(10));
        if (push.ExitCode != 0) throw new InvalidOperationException("push failed: " + push);
        await FirstOkAsync(platd.RouterUrl, $"{name}.apps.localhost");
        return (sw.Elapsed.TotalMilliseconds, push.Stdout);
    }

    private static async Task<double> ByHandAsync(PlatdProcess platd, IReadOnlyList<(string Name, string Digest)> layers, string command)
    {
        var root = Directory.CreateTempSubdirectory("node-bench-").FullName;
        var lower = new List<string>();
        var merged = Path.Combine(root, "merged");
        Process? node = null;
        try
        {
            // Droplet order is bottom first (stack, dependencies, app); overlayfs wants the top first.
            foreach (var (layer, i) in layers.Select((l, i) => (l, i)))
            {
                var dir = Directory.CreateDirectory(Path.Combine(root, $"l{i}")).FullName;
                var blob = Path.Combine(platd.DataDir, "blobs", "sha256", layer.Digest["sha256:".Length..]);
                await RunAsync("tar", ["-xzf", blob, "-C", dir]);
                lower.Insert(0, dir);
            }
            foreach (var d in new[] { "upper", "work", "merged" }) Directory.CreateDirectory(Path.Combine(root, d));
            await RunAsync("mount", ["-t", "overlay", "overlay", "-o",
                $"lowerdir={string.Join(':', lower)},upperdir={root}/upper,workdir={root}/work", merged]);

            var port = PlatdProcess.FreePort();
            var sw = Stopwatch.StartNew();
            var psi = new ProcessStartInfo("chroot") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { merged, "/bin/sh", "-c",
                "cd /home/vcap/app && for f in /home/vcap/deps/*/profile.d/*.sh; do . \"$f\"; done; exec /bin/sh -c \"$1\"", "by-hand", command })
                psi.ArgumentList.Add(a);
            psi.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            psi.Environment["HOME"] = "/home/vcap/app";
            node = Process.Start(psi)!;
            node.OutputDataReceived += (_, _) => { };
            node.ErrorDataReceived += (_, _) => { };
            node.BeginOutputReadLine();
            node.BeginErrorReadLine();
            await FirstOkAsync($"http://127.0.0.1:{port}", null);
            return sw.Elapsed.TotalMilliseconds;
        }
        finally
        {
            if (node is { HasExited: false }) { node.Kill(entireProcessTree: true); await node.WaitForExitAsync(); }
            await RunAsync("umount", [merged], check: false);
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task FirstOkAsync(string baseUrl, string? host)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (DateTime.UtcNow < deadline)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            if (host is not null) request.Headers.Host = host;
            try
            {
                using var response = await http.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(5);
        }
        throw new TimeoutException($"{host ?? baseUrl} never answered 200");
    }

    private static async Task RunAsync(string file, string[] args, bool check = true)
    {
        var result = await CommandResult.RunAsync(file, args, new Dictionary<string, string>(), TimeSpan.FromMinutes(5));
        if (check && result.ExitCode != 0) throw new InvalidOperationException($"{file} failed: {result}");
    }

    [GeneratedRegex(@"\s{7}layer (\S+) (sha256:[0-9a-f]{64})")]
    private static partial Regex LayerLine();

    [GeneratedRegex(@"Staging complete: \d+ layers, start command: (.+)")]
    private static partial Regex StartCommand();
}
