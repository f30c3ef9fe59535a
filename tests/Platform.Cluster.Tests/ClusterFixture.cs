using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Platform.Contracts.Api;
using Platform.TestSupport;

namespace Platform.Cluster.Tests;

/// <summary>
/// One cluster of ./deploy/cluster.sh for every test: 3 cells in 2 zones, two control hosts, an edge router and a data
/// host, each a network namespace, every platd its own process. Brought up once (with the built platd and plat), with
/// the "ids" app pushed (4 instances, each serving its own instance id at /id), and torn down even when a test fails.
/// </summary>
public sealed partial class ClusterFixture : IAsyncLifetime
{
    public const string App = "ids";
    public const int Cells = 3;
    public string Dir { get; } = "/var/lib/platform/test/cluster";
    public string ApiUrl { get; private set; } = "";
    public string Api2Url { get; private set; } = "";
    public string RouterUrl { get; private set; } = "";
    public string AdminPassword { get; private set; } = "";
    public string PlatHome => Path.Combine(Dir + "-plat", "home");
    public string PlatHome2 => Path.Combine(Dir + "-plat", "home-2");

    public static string Script => Path.Combine(TestEnvironment.RepoRoot, "deploy", "cluster.sh");

    public async Task InitializeAsync()
    {
        await ClusterAsync(["down"], TimeSpan.FromMinutes(5));
        Directory.CreateDirectory(PlatHome);
        Directory.CreateDirectory(PlatHome2);
        var up = await ClusterAsync(["up", "--cells", Cells.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromMinutes(15));
        if (up.ExitCode != 0)
        {
            var logs = Logs();
            await DisposeAsync();
            throw new InvalidOperationException($"cluster.sh up failed: {up}\n{logs}");
        }
        ApiUrl = Line(up.Stdout, "API");
        Api2Url = Line(up.Stdout, "API-2");
        RouterUrl = Line(up.Stdout, "Router");
        using (var doc = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Dir, "hosts", "ctl", "api", "bootstrap-admin.json"))))
            AdminPassword = doc.RootElement.GetProperty("password").GetString()!;
        var login2 = await PlatAsync(["login", "-a", Api2Url, "-u", "admin"], PlatHome2, new Dictionary<string, string> { ["PLAT_PASSWORD"] = AdminPassword });
        if (login2.ExitCode != 0) throw new InvalidOperationException("plat login to the second API failed: " + login2);

        var dir = IdsApp();
        var push = await PlatAsync(["push", App, "-p", dir, "-m", "32M", "-k", "64M", "-i", "4"]);
        Directory.Delete(dir, recursive: true);
        if (push.ExitCode != 0) throw new InvalidOperationException($"push of {App} failed: {push}\n{Logs()}");
    }

    public async Task DisposeAsync()
    {
        var down = await ClusterAsync(["down"], TimeSpan.FromMinutes(5));
        if (down.ExitCode != 0) Console.Error.WriteLine("cluster.sh down failed: " + down);
        try { Directory.Delete(Dir + "-plat", recursive: true); }
        catch (IOException) { }
    }

    private static string Line(string stdout, string label) =>
        Regex.Match(stdout, $"^{Regex.Escape(label)}: +(\\S+)", RegexOptions.Multiline) is { Success: true } m
            ? m.Groups[1].Value
            : throw new InvalidOperationException($"cluster.sh up printed no '{label}:' line:\n{stdout}");

    /// <summary>A static site whose every instance writes its own instance id to /id at start (a profile.d script).</summary>
    public static string IdsApp()
    {
        var dir = Path.Combine("/var/lib/platform/test", "ids-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(dir, ".profile.d"));
        File.WriteAllText(Path.Combine(dir, "index.html"), "<!doctype html><title>ids</title><p>ids</p>\n");
        File.WriteAllText(Path.Combine(dir, ".profile.d", "id.sh"), "printf '%s' \"$CF_INSTANCE_GUID\" > /home/vcap/app/id\n");
        return dir;
    }

    public Task<CommandResult> ClusterAsync(IEnumerable<string> args, TimeSpan? timeout = null) =>
        CommandResult.RunAsync("bash", [Script, .. args], new Dictionary<string, string>
        {
            ["PLATFORM_CLUSTER_DIR"] = Dir,
            ["PLATFORM_CLUSTER_PLATD"] = PlatdProcess.ServerDll,
            ["PLATFORM_CLUSTER_PLAT"] = PlatdProcess.CliDll,
            ["PLAT_HOME"] = PlatHome,
        }, timeout ?? TimeSpan.FromMinutes(5));

    /// <summary>Runs a cluster.sh command and fails with its output and the hosts' logs when it fails.</summary>
    public async Task ClusterOkAsync(params string[] args)
    {
        var result = await ClusterAsync(args);
        if (result.ExitCode != 0) throw new InvalidOperationException($"cluster.sh {string.Join(' ', args)} failed: {result}\n{Logs()}");
    }

    public Task<CommandResult> PlatAsync(IEnumerable<string> args, string? home = null, IDictionary<string, string>? env = null)
    {
        var all = new Dictionary<string, string> { ["PLAT_HOME"] = home ?? PlatHome };
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) all[k] = v;
        return CommandResult.RunAsync("dotnet", [PlatdProcess.CliDll, .. args], all, TimeSpan.FromMinutes(5));
    }

    public static string HostIp(string host) => host switch
    {
        "data" => "10.250.0.2",
        "ctl" => "10.250.0.10",
        "ctl-2" => "10.250.0.11",
        "edge" => "10.250.0.30",
        _ when host.StartsWith("cell-", StringComparison.Ordinal) => $"10.250.0.{20 + int.Parse(host[5..], System.Globalization.CultureInfo.InvariantCulture)}",
        _ => throw new ArgumentException($"no host {host}", nameof(host)),
    };

    /// <summary>Every platd of the cluster: host, unit, management port.</summary>
    public static IEnumerable<(string Host, string Unit, int Port)> Units()
    {
        yield return ("ctl", "api", 7070);
        yield return ("ctl", "scheduler", 7071);
        yield return ("ctl", "stager", 7072);
        yield return ("ctl-2", "api", 7070);
        yield return ("ctl-2", "scheduler", 7071);
        yield return ("edge", "router", 7070);
        for (var i = 1; i <= Cells; i++) yield return ($"cell-{i}", "cell", 7070);
    }

    public async Task<HttpClient> ApiClientAsync(string? apiUrl = null)
    {
        var http = new HttpClient { BaseAddress = new Uri(apiUrl ?? ApiUrl), Timeout = TimeSpan.FromSeconds(20) };
        var resp = await http.PostAsync("/v1/tokens", new StringContent(
            JsonSerializer.Serialize(new { username = "admin", password = AdminPassword }), Encoding.UTF8, "application/json"));
        resp.EnsureSuccessStatusCode();
        var token = JsonDocument.Parse(await resp.Content.ReadAsStringAsync()).RootElement.GetProperty("accessToken").GetString();
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return http;
    }

    public static async Task<List<InstanceResponse>> InstancesAsync(HttpClient api, string app = App) =>
        (await api.GetFromJsonAsync<AppDetailResponse>($"{TestSpaces.Default}/apps/{app}"))!.InstanceDetails.ToList();

    public static async Task<List<CellResponse>> CellsAsync(HttpClient api) => (await api.GetFromJsonAsync<List<CellResponse>>("/v1/cells"))!;

    public async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition()) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                last = e; // a host that is down or coming back
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"timed out waiting for {what}{(last is null ? "" : $" (last error: {last.Message})")}\n{Logs()}");
    }

    /// <summary>Waits until the app has exactly <paramref name="count"/> RUNNING instances and no other live one.</summary>
    public Task WaitForRunningAsync(HttpClient api, int count, string app = App, Func<InstanceResponse, bool>? where = null, TimeSpan? timeout = null) =>
        WaitUntilAsync(async () =>
        {
            var all = await InstancesAsync(api, app);
            var running = all.Where(i => i.State == "RUNNING").ToList();
            return running.Count == count && all.Count(i => i.State is "RUNNING" or "STARTING") == count && running.All(where ?? (_ => true));
        }, timeout ?? TimeSpan.FromSeconds(120), $"{count} RUNNING instances of {app}");

    /// <summary>GET through the edge router with the app's host name.</summary>
    public static async Task<(HttpStatusCode Status, string Body)> RouterGetAsync(HttpClient router, string path, string app = App)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, path);
        req.Headers.Host = $"{app}.apps.localhost";
        using var resp = await router.SendAsync(req);
        return (resp.StatusCode, await resp.Content.ReadAsStringAsync());
    }

    /// <summary>Whether the router answers /id from exactly these instances (enough requests to see each of them).</summary>
    public async Task<bool> RouterServesExactlyAsync(HttpClient router, IReadOnlyCollection<Guid> ids)
    {
        var seen = new HashSet<Guid>();
        for (var i = 0; i < ids.Count * 6; i++)
        {
            var (status, body) = await RouterGetAsync(router, "/id");
            if (status != HttpStatusCode.OK || !Guid.TryParse(body.Trim(), out var id)) return false;
            seen.Add(id);
        }
        return seen.SetEquals(ids);
    }

    /// <summary>The tail of every host's logs, for failure messages.</summary>
    public string Logs()
    {
        var text = new StringBuilder();
        var hosts = Path.Combine(Dir, "hosts");
        if (!Directory.Exists(hosts)) return "(no cluster logs)";
        foreach (var file in Directory.EnumerateFiles(hosts, "*.log", SearchOption.AllDirectories).Order())
        {
            var lines = File.ReadAllLines(file);
            text.AppendLine($"---- {Path.GetRelativePath(hosts, file)} (last 15 of {lines.Length} lines)");
            foreach (var l in lines.TakeLast(15)) text.AppendLine(l.Length > 400 ? l[..400] : l);
        }
        return text.ToString();
    }

    public static async Task<string> ScrapeAsync(string host, int port, string path = "/metrics")
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return await http.GetStringAsync($"http://{HostIp(host)}:{port}{path}");
    }

    /// <summary>The host whose scheduler reports platform_scheduler_leader 1, or null while none does.</summary>
    public static async Task<string?> ActiveSchedulerHostAsync()
    {
        foreach (var host in new[] { "ctl", "ctl-2" })
        {
            try
            {
                var (_, samples) = PrometheusText.Parse(await ScrapeAsync(host, 7071));
                if (samples.Any(s => s.Name == "platform_scheduler_leader" && s.Value == 1)) return host;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
        }
        return null;
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
