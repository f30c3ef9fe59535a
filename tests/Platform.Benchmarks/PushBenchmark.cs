using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using Platform.Contracts.Api;
using Platform.TestSupport;

namespace Platform.Benchmarks;

/// <summary>
/// Pushes the static site to a running `platd --dev` through the REST API (what `plat push` does) and
/// times each phase: upload, staging, placement, sandbox start (to healthy), first routed response.
/// Cold = first push on a fresh platd (layers not cached on the cell); warm = the same push again under
/// another name (every layer cached).
/// </summary>
public static class PushBenchmark
{
    public sealed record Phases(string Run, double Upload, double Staging, double Placement, double SandboxStart, double FirstRouted,
        StagingSteps Steps)
    {
        public double Total => Upload + Staging + Placement + SandboxStart + FirstRouted;
    }

    /// <summary>
    /// Staging by step, from the stager's own log timestamps: package (download, unpack, container start) and detect;
    /// dependencies (layers, added to the container); supply, finalize and release; packing and upload; then the rest of
    /// the staging phase (the build's end reaching the API).
    /// </summary>
    public sealed record StagingSteps(double ToStager, double ToDetected, double Dependencies, double Steps, double PackAndUpload, double ToApi, double Rest);

    public static async Task<List<Phases>> RunAsync(int warmRuns)
    {
        await using var platd = await PlatdProcess.StartAsync(subnetOctet: 249);
        using var api = await platd.ApiClientAsync();
        using var router = new HttpClient { BaseAddress = new Uri(platd.RouterUrl) };
        var zip = ZipSite();
        var results = new List<Phases> { await PushOnceAsync(api, router, "bench-cold", zip, "cold") };
        for (var i = 0; i < warmRuns; i++)
            results.Add(await PushOnceAsync(api, router, $"bench-warm{i}", zip, $"warm {i + 1}"));
        // The stager's own account of each build's phases (its log line "build ... (staged): unpack=..ms ...").
        foreach (var line in platd.Log.Split('\n').Where(l => l.Contains("(staged): ", StringComparison.Ordinal)))
            Console.WriteLine("stager: " + line[(line.IndexOf("build ", StringComparison.Ordinal))..].Trim());
        return results;
    }

    private static byte[] ZipSite()
    {
        var site = Path.Combine(TestEnvironment.RepoRoot, "tests", "Platform.EndToEnd.Tests", "apps", "site");
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var file in Directory.EnumerateFiles(site, "*", SearchOption.AllDirectories))
            {
                var entry = zip.CreateEntryFromFile(file, Path.GetRelativePath(site, file));
                entry.ExternalAttributes = (int)File.GetUnixFileMode(file) << 16 | (0x8000 << 16);
            }
        return ms.ToArray();
    }

    private static async Task<Phases> PushOnceAsync(HttpClient api, HttpClient router, string name, byte[] zip, string label)
    {
        (await api.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest(Name: name, Memory: "128M"))).EnsureSuccessStatusCode();

        var sw = Stopwatch.StartNew();
        var content = new ByteArrayContent(zip);
        content.Headers.ContentType = new("application/zip");
        (await api.PutAsync($"{TestSpaces.Default}/apps/{name}/package", content)).EnsureSuccessStatusCode();
        var upload = sw.Elapsed.TotalMilliseconds;

        sw.Restart();
        var build = await (await api.PostAsync($"{TestSpaces.Default}/apps/{name}/builds", null)).EnsureSuccessStatusCode()
            .Content.ReadFromJsonAsync<BuildResponse>();
        while (true)
        {
            build = await api.GetFromJsonAsync<BuildResponse>($"{TestSpaces.Default}/apps/{name}/builds/{build!.Id}");
            if (build!.State == "STAGED") break;
            if (build.State == "FAILED") throw new InvalidOperationException("staging failed: " + build.Error);
            await Task.Delay(20);
        }
        var staging = sw.Elapsed.TotalMilliseconds;
        var steps = await StagingStepsAsync(api, name, build, staging);

        sw.Restart();
        (await api.PostAsync($"{TestSpaces.Default}/apps/{name}/start", null)).EnsureSuccessStatusCode();
        double placement = 0, sandbox = 0;
        while (true)
        {
            var detail = await api.GetFromJsonAsync<AppDetailResponse>($"{TestSpaces.Default}/apps/{name}");
            var instance = detail!.InstanceDetails.FirstOrDefault();
            if (instance is not null && placement == 0) placement = sw.Elapsed.TotalMilliseconds;
            if (instance?.State == "RUNNING") { sandbox = sw.Elapsed.TotalMilliseconds - placement; break; }
            if (instance?.State == "CRASHED") throw new InvalidOperationException("instance crashed: " + instance.Reason);
            await Task.Delay(10);
        }

        sw.Restart();
        while (true)
        {
            using var req = new HttpRequestMessage(HttpMethod.Get, "/");
            req.Headers.Host = $"{name}.apps.localhost";
            using var resp = await router.SendAsync(req);
            if (resp.StatusCode == HttpStatusCode.OK) break;
            await Task.Delay(5);
        }
        var routed = sw.Elapsed.TotalMilliseconds;
        return new Phases(label, upload, staging, placement, sandbox, routed, steps);
    }

    public static async Task<StagingSteps> StagingStepsAsync(HttpClient api, string name, BuildResponse build, double stagingMs)
    {
        var lines = (await api.GetFromJsonAsync<List<LogLineResponse>>($"/v1/apps/{name}/logs?limit=1000"))!
            .Where(l => l.Source == "STG").OrderBy(l => l.Timestamp).ToList();
        DateTimeOffset At(Func<string, bool> match) => lines.LastOrDefault(l => match(l.Text))?.Timestamp ?? lines[0].Timestamp;
        var start = lines[0].Timestamp;
        var detected = At(t => t.Contains(" detected", StringComparison.Ordinal) || t.Contains("chosen with -b", StringComparison.Ordinal));
        var dependencies = At(t => t.StartsWith("-----> Dependency", StringComparison.Ordinal));
        var command = At(t => t.StartsWith("-----> Start command", StringComparison.Ordinal));
        var complete = At(t => t.StartsWith("Staging complete", StringComparison.Ordinal));
        static double Ms(DateTimeOffset from, DateTimeOffset to) => Math.Max(0, (to - from).TotalMilliseconds);
        // The API's and the stager's clocks are the same host's here (platd --dev).
        var toStager = Ms(build.CreatedAt, start);
        var toApi = build.CompletedAt is { } done ? Ms(complete, done) : 0;
        return new StagingSteps(toStager, Ms(start, detected), Ms(detected, dependencies), Ms(dependencies, command), Ms(command, complete), toApi,
            Math.Max(0, stagingMs - toStager - Ms(start, complete) - toApi));
    }
}
