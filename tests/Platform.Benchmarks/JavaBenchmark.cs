using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Platform.Contracts.Api;
using Platform.TestSupport;

namespace Platform.Benchmarks;

/// <summary>
/// The javax WAR (tests/apps/java) pushed to a real `platd --dev` (upload, staging, start, first routed
/// response of its servlet) beside the same WAR started by hand on the host with the same JRE and Tomcat
/// (the very layer directories the stager unpacked, the Tomcat base the buildpack wrote, the same JVM flags),
/// from process start to its first response. Staging's download cache is warm (it is per machine).
/// </summary>
public static partial class JavaBenchmark
{
    public sealed record Row(string What, double UploadMs, double StagingMs, double StartToFirstResponseMs)
    {
        public double TotalMs => UploadMs + StagingMs + StartToFirstResponseMs;
    }

    public static async Task<List<Row>> RunAsync(int pushes, int byHand)
    {
        var apps = Directory.CreateTempSubdirectory("java-bench-").FullName;
        var build = await CommandResult.RunAsync("bash", [Path.Combine(TestEnvironment.RepoRoot, "tests", "apps", "java", "build.sh"), apps]);
        if (build.ExitCode != 0) throw new InvalidOperationException("building the test apps failed: " + build);
        var war = await File.ReadAllBytesAsync(Path.Combine(apps, "xwms.war"));

        var rows = new List<Row>();
        await using (var platd = await PlatdProcess.StartAsync(subnetOctet: 234, new Dictionary<string, string> { ["Cell:MemoryCapacityMb"] = "16384" }))
        {
            using var api = await platd.ApiClientAsync();
            using var router = new HttpClient { BaseAddress = new Uri(platd.RouterUrl) };
            for (var i = 0; i < pushes; i++)
                rows.Add(await PushOnceAsync(api, router, $"jbench{i}", war, i == 0 ? "platform push (cell cold)" : $"platform push (cell warm {i})"));
            var tomcatBase = FindUnpackedAppLayer(platd.DataDir);
            for (var i = 0; i < byHand; i++)
                rows.Add(await ByHandOnceAsync(tomcatBase, $"by hand on the host {i + 1}"));
        }
        Directory.Delete(apps, recursive: true);
        return rows;
    }

    private static async Task<Row> PushOnceAsync(HttpClient api, HttpClient router, string name, byte[] war, string label)
    {
        (await api.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest(Name: name, Memory: "1G"))).EnsureSuccessStatusCode();
        var sw = Stopwatch.StartNew();
        var content = new ByteArrayContent(war);
        content.Headers.ContentType = new("application/zip");
        (await api.PutAsync($"{TestSpaces.Default}/apps/{name}/package", content)).EnsureSuccessStatusCode();
        var upload = sw.Elapsed.TotalMilliseconds;

        sw.Restart();
        var staged = await (await api.PostAsync($"{TestSpaces.Default}/apps/{name}/builds", null)).EnsureSuccessStatusCode()
            .Content.ReadFromJsonAsync<BuildResponse>();
        while (staged!.State != "STAGED")
        {
            if (staged.State == "FAILED") throw new InvalidOperationException("staging failed: " + staged.Error);
            await Task.Delay(20);
            staged = await api.GetFromJsonAsync<BuildResponse>($"{TestSpaces.Default}/apps/{name}/builds/{staged.Id}");
        }
        var staging = sw.Elapsed.TotalMilliseconds;

        sw.Restart();
        (await api.PostAsync($"{TestSpaces.Default}/apps/{name}/start", null)).EnsureSuccessStatusCode();
        await UntilOkAsync(router, $"{name}.apps.localhost", TimeSpan.FromMinutes(3));
        return new Row(label, upload, staging, sw.Elapsed.TotalMilliseconds);
    }

    /// <summary>The cell's unpacked app layer of a staged WAR: it holds the Tomcat base and the app.</summary>
    private static string FindUnpackedAppLayer(string dataDir) =>
        Directory.GetDirectories(Path.Combine(dataDir, "layers"))
            .First(d => File.Exists(Path.Combine(d, "home/vcap/deps/0/tomcat/conf/server.xml")));

    private static async Task<Row> ByHandOnceAsync(string appLayer, string label)
    {
        // The start command the buildpack wrote, with the droplet's paths mapped to where the same files are on
        // the host: /layers/<dep> -> the stager's unpacked dependency directory, /home/vcap -> the cell's app layer.
        var command = (await File.ReadAllTextAsync(Path.Combine(appLayer, "home/vcap/app/.java-buildpack/start-command"))).Trim();
        var flags = MemoryFlags().Match(await File.ReadAllTextAsync(Path.Combine(appLayer, "home/vcap/deps/0/profile.d/java.sh")));
        var work = Directory.CreateTempSubdirectory("java-byhand-").FullName;
        var tomcat = Path.Combine(work, "tomcat");
        await CommandResult.RunAsync("cp", ["-a", Path.Combine(appLayer, "home/vcap/deps/0/tomcat"), tomcat]);
        var serverXml = Path.Combine(tomcat, "conf/server.xml");
        await File.WriteAllTextAsync(serverXml, (await File.ReadAllTextAsync(serverXml)).Replace("/home/vcap/app", Path.Combine(appLayer, "home/vcap/app")));

        var deps = "/var/lib/platform/staging/cache/dependencies";
        string Layer(string name) => Path.Combine(Directory.GetDirectories(deps, name + "-*")
            .Single(d => Path.GetFileName(d).Length == name.Length + 65), "layers", name);
        var classpath = ClasspathOf().Match(command).Groups[1].Value;
        foreach (var dep in new[] { "tomcat9", "tomcat10", "jdt" })
            if (classpath.Contains($"/layers/{dep}/", StringComparison.Ordinal))
                classpath = classpath.Replace($"/layers/{dep}", Layer(dep), StringComparison.Ordinal);
        var java = Path.Combine(Layer("jre"), "usr/lib/jvm/java-17-openjdk-amd64/bin/java");
        var port = FreePort();

        var psi = new ProcessStartInfo(java) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var flag in CalculatedFlags(flags.Success ? flags.Value : "")) psi.ArgumentList.Add(flag);
        foreach (var a in new[] { $"-Dhttp.port={port}", $"-Dcatalina.home={tomcat}", $"-Dcatalina.base={tomcat}", $"-Djava.io.tmpdir={work}",
                     "-classpath", classpath, "org.apache.catalina.startup.Bootstrap", "start" })
            psi.ArgumentList.Add(a);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var sw = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await UntilOkAsync(http, null, TimeSpan.FromMinutes(2));
            return new Row(label, 0, 0, sw.Elapsed.TotalMilliseconds);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The flags the memory calculator gives for 1G (run here with dash, as the launcher would).</summary>
    private static IEnumerable<string> CalculatedFlags(string classCountLine)
    {
        var count = classCountLine.Length > 0 ? classCountLine.Split('=')[1] : "0";
        var script = $". {Path.Combine(TestEnvironment.RepoRoot, "buildpacks/java/lib/memory-calculator.sh")}; " +
                     $"MEMORY_LIMIT=1024m JBP_CLASS_COUNT={count}; jbp_calculate_memory && echo \"$JBP_MEMORY_FLAGS\"";
        var result = CommandResult.RunAsync("dash", ["-c", script]).GetAwaiter().GetResult();
        return result.Stdout.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    private static async Task UntilOkAsync(HttpClient http, string? host, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var req = new HttpRequestMessage(HttpMethod.Get, "/hello/");
                if (host is not null) req.Headers.Host = host;
                using var resp = await http.SendAsync(req);
                if (resp.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(10);
        }
        throw new TimeoutException("no 200 from /hello/ in time");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"JBP_CLASS_COUNT=\d+")]
    private static partial Regex MemoryFlags();

    [GeneratedRegex(@"-classpath (\S+)")]
    private static partial Regex ClasspathOf();
}
