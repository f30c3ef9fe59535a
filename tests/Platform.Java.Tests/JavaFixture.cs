using System.Net;
using System.Net.Http.Json;
using Platform.Contracts.Api;
using Platform.TestSupport;

namespace Platform.Java.Tests;

/// <summary>
/// One real platd (and plat) for the Java tests, and the test apps built from tests/apps/java with the JDK's
/// javac and jar. The stager's download cache (/var/lib/platform/staging/cache) is shared by every platd on
/// the host, so the JRE and Tomcat .debs are fetched once per machine, not once per test run.
/// </summary>
public sealed class JavaFixture : IAsyncLifetime
{
    private PlatdProcess? _platd;
    public PlatdProcess Platd => _platd ?? throw new InvalidOperationException("platd not started");
    public string AppsDir { get; } = Directory.CreateTempSubdirectory("java-apps-").FullName;

    public string App(string name) => Path.Combine(AppsDir, name);

    public async Task InitializeAsync()
    {
        var build = await CommandResult.RunAsync("bash",
            [Path.Combine(TestEnvironment.RepoRoot, "tests", "apps", "java", "build.sh"), AppsDir], timeout: TimeSpan.FromMinutes(5));
        if (build.ExitCode != 0) throw new InvalidOperationException("building the Java test apps failed: " + build);
        // Several 1 GiB apps at once: the cell may place more than this host's memory less 1 GiB would allow
        // (limits are caps, not what the JVMs use).
        _platd = await PlatdProcess.StartAsync(subnetOctet: 233, new Dictionary<string, string>
        {
            ["Cell:MemoryCapacityMb"] = "32768",
        });
    }

    public async Task DisposeAsync()
    {
        if (_platd is not null) await _platd.DisposeAsync();
        Directory.Delete(AppsDir, recursive: true);
    }

    public async Task<CommandResult> PushAsync(params string[] args)
    {
        // A cold stager downloads ~65 MB of .debs and packs a 185 MB JRE layer: give it time.
        return await Platd.PlatAsync(["push", .. args], timeout: TimeSpan.FromMinutes(10));
    }

    /// <summary>Creates the app with environment variables (plat push has no --env), before it is pushed.</summary>
    public async Task CreateWithEnvAsync(string name, Dictionary<string, string> env)
    {
        using var api = await Platd.ApiClientAsync();
        var resp = await api.PostAsJsonAsync(TestSpaces.Default + "/apps", new AppRequest(name, Env: env));
        Assert.True(resp.IsSuccessStatusCode, $"creating {name}: {resp.StatusCode} {await resp.Content.ReadAsStringAsync()}");
    }

    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string app, string path)
    {
        using var router = new HttpClient { BaseAddress = new Uri(Platd.RouterUrl), Timeout = TimeSpan.FromSeconds(30) };
        using var req = new HttpRequestMessage(HttpMethod.Get, path);
        req.Headers.Host = $"{app}.apps.localhost";
        using var resp = await router.SendAsync(req);
        return (resp.StatusCode, await resp.Content.ReadAsStringAsync());
    }

    /// <summary>GET through the router until it answers 200 (an app may still be starting).</summary>
    public async Task<string> GetOkAsync(string app, string path, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(180));
        (HttpStatusCode Status, string Body) last = default;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await GetAsync(app, path);
                if (last.Status == HttpStatusCode.OK) return last.Body;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(500);
        }
        throw new TimeoutException($"GET {app}{path} never answered 200 (last: {last.Status} {last.Body})\nplatd log:\n{Platd.Log}");
    }

    public async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(500);
        }
        throw new TimeoutException($"timed out waiting for {what}\nplatd log:\n{Platd.Log}");
    }

    public async Task DeleteAsync(string app) => await Platd.PlatAsync(["delete", app, "-f"]);
}

[CollectionDefinition(Name)]
public sealed class JavaCollection : ICollectionFixture<JavaFixture>
{
    public const string Name = "java";
}
