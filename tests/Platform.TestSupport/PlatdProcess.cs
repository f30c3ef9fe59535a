using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Platform.TestSupport;

/// <summary>
/// A real `platd --dev` started as a process on free loopback ports with its own database, data dir,
/// cell id and bridge, and a real `plat` logged in to it: what a user gets from ./deploy/dev.sh.
/// </summary>
public sealed class PlatdProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TestDatabase _db;
    private readonly StringBuilder _log = new();

    public string ApiUrl { get; }
    public string RouterUrl { get; }
    public string DataDir { get; }
    public string PlatHome { get; }
    public string CellId { get; }
    public string Bridge { get; }
    public string AdminPassword { get; private set; } = "";
    public string Log { get { lock (_log) return _log.ToString(); } }

    private PlatdProcess(Process process, TestDatabase db, string apiUrl, string routerUrl, string dataDir, string cellId, string bridge)
    {
        Bridge = bridge;
        _process = process;
        _db = db;
        ApiUrl = apiUrl;
        RouterUrl = routerUrl;
        DataDir = dataDir;
        CellId = cellId;
        PlatHome = Path.Combine(dataDir, "plat-home");
    }

    public static string ServerDll => BuiltDll("Platform.Server", "platd.dll");
    public static string CliDll => BuiltDll("Platform.Cli", "plat.dll");

    private static string BuiltDll(string project, string dll)
    {
        var config = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(TestEnvironment.RepoRoot, "src", project, "bin", config, "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{dll} is not built: build Platform.sln first", path);
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <param name="subnetOctet">Second octet of this platd's instance subnet (10.N.0.0/16), so that
    /// several platd processes on one host (a developer's, the tests') never share addresses. Taken:
    /// 240 end-to-end tests, 245 sandbox tests, 247 sandbox benchmark, 248 cell tests, 249 push benchmark,
    /// 251 staging tests, 230-239 other platd-based suites. The bridge is deleted on dispose, so a later
    /// suite's routes never meet a stale one.</param>
    public static async Task<PlatdProcess> StartAsync(int subnetOctet = 240, IDictionary<string, string>? settings = null)
    {
        var db = await TestDatabase.CreateAsync();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var dataDir = Path.Combine("/var/lib/platform/test", "e2e-" + suffix);
        Directory.CreateDirectory(dataDir);
        var api = $"http://127.0.0.1:{FreePort()}";
        var router = $"http://127.0.0.1:{FreePort()}";
        var cellId = "e2e-" + suffix;
        var args = new Dictionary<string, string>
        {
            ["DataDir"] = dataDir,
            ["ConnectionStrings:Platform"] = db.ConnectionString,
            ["Api:Url"] = api,
            ["Api:RouterUrl"] = router,
            ["Router:Url"] = router,
            ["Cell:Id"] = cellId,
            ["Cell:HeartbeatSeconds"] = "1",
            ["Staging:StackRootfs"] = TestEnvironment.StackRootfs,
            ["Staging:BuildpacksDir"] = Path.Combine(TestEnvironment.RepoRoot, "buildpacks"),
            ["Sandbox:Network:Bridge"] = $"plte{subnetOctet}",
            ["Sandbox:Network:Subnet"] = $"10.{subnetOctet}.0.0/16",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string>()) args[k] = v;

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(ServerDll);
        psi.ArgumentList.Add("--dev");
        foreach (var (k, v) in args) psi.ArgumentList.Add($"--{k}={v}");
        psi.Environment["Logging__LogLevel__Default"] = "Information";
        psi.Environment["Logging__LogLevel__Microsoft"] = "Warning";
        psi.Environment["Logging__LogLevel__MassTransit"] = "Warning";
        var process = Process.Start(psi)!;
        var platd = new PlatdProcess(process, db, api, router, dataDir, cellId, args["Sandbox:Network:Bridge"]);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (platd._log) platd._log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (platd._log) platd._log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await platd.WaitHealthyAsync(TimeSpan.FromSeconds(90));
            var bootstrap = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dataDir, "bootstrap-admin.json")));
            platd.AdminPassword = bootstrap.RootElement.GetProperty("password").GetString()!;
            var login = await platd.PlatAsync(["login", "-a", api, "-u", "admin"],
                new Dictionary<string, string> { ["PLAT_PASSWORD"] = platd.AdminPassword });
            if (login.ExitCode != 0) throw new InvalidOperationException("plat login failed: " + login);
        }
        catch
        {
            await platd.DisposeAsync();
            throw;
        }
        return platd;
    }

    private async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"platd exited with {_process.ExitCode}:\n{Log}");
            try
            {
                if ((await http.GetAsync(ApiUrl + "/healthz")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"platd did not become healthy within {timeout}:\n{Log}");
    }

    /// <summary>Runs the real `plat` with this platd's PLAT_HOME.</summary>
    public Task<CommandResult> PlatAsync(IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var all = new Dictionary<string, string> { ["PLAT_HOME"] = PlatHome };
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) all[k] = v;
        return CommandResult.RunAsync("dotnet", [CliDll, .. args], all, timeout ?? TimeSpan.FromMinutes(5));
    }

    /// <summary>An HttpClient for the API, authenticated as the bootstrap admin.</summary>
    public async Task<HttpClient> ApiClientAsync()
    {
        var http = new HttpClient { BaseAddress = new Uri(ApiUrl) };
        var resp = await http.PostAsync("/v1/tokens", new StringContent(
            JsonSerializer.Serialize(new { username = "admin", password = AdminPassword }), Encoding.UTF8, "application/json"));
        resp.EnsureSuccessStatusCode();
        var token = JsonDocument.Parse(await resp.Content.ReadAsStringAsync()).RootElement.GetProperty("accessToken").GetString();
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return http;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: platd stops its instances and exits, as an operator's stop would.
            Process.Start("kill", ["-TERM", _process.Id.ToString()])?.WaitForExit();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try { await _process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        }
        _process.Dispose();
        await CommandResult.RunAsync("ip", ["link", "del", Bridge]);
        await _db.DisposeAsync();
    }
}

/// <summary>The result of running a command to completion.</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";

    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> args,
        IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish in time:\n{await stdout}\n{await stderr}");
        }
        return new CommandResult(p.ExitCode, await stdout, await stderr);
    }
}
