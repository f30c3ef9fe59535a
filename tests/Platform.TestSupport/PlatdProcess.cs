using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Platform.TestSupport;

/// <summary>
/// How to start a platd for a test: `--dev` (every role, in-memory bus, its own blob directory) by default, or some
/// roles (`--roles cell`) over a real RabbitMQ and a blob directory shared with other platd processes.
/// </summary>
public sealed record PlatdOptions
{
    /// <summary>Null: `platd --dev`. Else the --roles value, e.g. "api,scheduler,stager,router" or "cell".</summary>
    public string? Roles { get; init; }
    /// <summary>Second octet of this platd's instance subnet (see <see cref="PlatdProcess.StartAsync(int, IDictionary{string, string}?)"/>).</summary>
    public int SubnetOctet { get; init; } = 240;
    /// <summary>amqp:// URL (with its own vhost, see <see cref="TestRabbitMq"/>) for the bus; required with <see cref="Roles"/>.</summary>
    public string? RabbitMqUrl { get; init; }
    /// <summary>Blob directory shared by the platd processes of one test; default: DataDir/blobs.</summary>
    public string? BlobDirectory { get; init; }
    /// <summary>A database another platd of the test created (it stays the owner); null: a new one when the roles need one.</summary>
    public TestDatabase? Database { get; init; }
    /// <summary>The router's URL as the API tells users (a router in another platd of the test).</summary>
    public string? RouterUrl { get; init; }
    /// <summary>For a platd that runs the router but not the API: the platd whose API serves its route table.</summary>
    public PlatdProcess? Api { get; init; }
    public string? CellId { get; init; }
    public IDictionary<string, string>? Settings { get; init; }
}

/// <summary>
/// A real platd (`--dev`, or some roles) started as a process on free loopback ports with its own data dir, cell id
/// and bridge, and when it runs the API, a real `plat` logged in to it: what a user gets from ./deploy/dev.sh.
/// It can be killed (SIGKILL) and started again with the same settings, as an operator's upgrade would.
/// </summary>
public sealed class PlatdProcess : IAsyncDisposable
{
    private Process _process;
    private readonly TestDatabase? _db;
    private readonly bool _ownsDb;
    private readonly StringBuilder _log = new();
    private readonly string? _roles;
    private readonly Dictionary<string, string> _args;

    public string ApiUrl { get; }
    public string RouterUrl { get; }
    public string DataDir { get; }
    public string PlatHome { get; }
    public string CellId { get; }
    public string Bridge { get; }
    public TestDatabase? Database => _db;
    public string AdminPassword { get; private set; } = "";
    /// <summary>The router credential of this platd's API (Api:RouterToken); routers of other platd processes present it.</summary>
    public string RouterToken { get; }
    public string Log { get { lock (_log) return _log.ToString(); } }
    /// <summary>The platd process's id (changes with <see cref="RestartAsync"/>).</summary>
    public int Pid => _process.Id;
    /// <summary>Where this platd's sandbox keeps its containers.</summary>
    public string SandboxRoot => _args.TryGetValue("Sandbox:Root", out var root) ? root : Path.Combine(DataDir, "sandbox");

    private PlatdProcess(string? roles, Dictionary<string, string> args, TestDatabase? db, bool ownsDb,
        string apiUrl, string routerUrl, string dataDir, string cellId, string bridge, string routerToken)
    {
        RouterToken = routerToken;
        _roles = roles;
        _args = args;
        Bridge = bridge;
        _db = db;
        _ownsDb = ownsDb;
        ApiUrl = apiUrl;
        RouterUrl = routerUrl;
        DataDir = dataDir;
        CellId = cellId;
        PlatHome = Path.Combine(dataDir, "plat-home");
        _process = null!;
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
    /// 251 staging tests, 252-253 survival tests, 254 cell benchmark, 230-239 other platd-based suites. The bridge is deleted on
    /// dispose, so a later suite's routes never meet a stale one.</param>
    public static Task<PlatdProcess> StartAsync(int subnetOctet = 240, IDictionary<string, string>? settings = null) =>
        StartAsync(new PlatdOptions { SubnetOctet = subnetOctet, Settings = settings });

    /// <summary>The exec grant key (Api:ExecGrantKey = Cell:ExecGrantKey) of every platd this test process starts.</summary>
    public static string TestExecGrantKey { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

    public static async Task<PlatdProcess> StartAsync(PlatdOptions options)
    {
        var roles = options.Roles;
        var hasApi = roles is null || roles.Split(',').Any(r => r.Trim() is "api" or "all");
        var needsDb = roles is null || roles.Split(',').Any(r => r.Trim() is "api" or "scheduler" or "all");
        var runsRouter = roles is null || roles.Split(',').Any(r => r.Trim() is "router" or "all");
        if (runsRouter && !hasApi && options.Api is null)
            throw new ArgumentException("a platd that runs the router without the API needs the platd whose API it loads routes from", nameof(options));
        if (roles is not null && string.IsNullOrEmpty(options.RabbitMqUrl))
            throw new ArgumentException("a platd with --roles needs a RabbitMQ URL (the in-memory bus is one process only)", nameof(options));
        var ownsDb = needsDb && options.Database is null;
        var db = ownsDb ? await TestDatabase.CreateAsync() : options.Database;
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var dataDir = Path.Combine("/var/lib/platform/test", "e2e-" + suffix);
        Directory.CreateDirectory(dataDir);
        var api = $"http://127.0.0.1:{FreePort()}";
        var router = options.RouterUrl ?? $"http://127.0.0.1:{FreePort()}";
        var cellId = options.CellId ?? "e2e-" + suffix;
        var octet = options.SubnetOctet;
        var args = new Dictionary<string, string>
        {
            ["DataDir"] = dataDir,
            ["Api:Url"] = api,
            ["Api:RouterUrl"] = router,
            ["Router:Url"] = router,
            ["Cell:Id"] = cellId,
            ["Cell:HeartbeatSeconds"] = "1",
            ["Staging:StackRootfs"] = TestEnvironment.StackRootfs,
            ["Staging:BuildpacksDir"] = Path.Combine(TestEnvironment.RepoRoot, "buildpacks"),
            ["Sandbox:Network:Bridge"] = $"plte{octet}",
            ["Sandbox:Network:Subnet"] = $"10.{octet}.0.0/16",
        };
        if (db is not null) args["ConnectionStrings:Platform"] = db.ConnectionString;
        var routerToken = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        if (hasApi) args["Api:RouterToken"] = routerToken;
        // Every platd of a test run signs and checks exec grants with the same key, so an API reaches any test cell.
        args["Api:ExecGrantKey"] = TestExecGrantKey;
        args["Cell:ExecGrantKey"] = TestExecGrantKey;
        if (runsRouter && options.Api is { } control)
        {
            // The router loads its table from that platd's API, with that API's router credential.
            args["Router:ApiUrl"] = control.ApiUrl;
            args["Router:ApiToken"] = control.RouterToken;
        }
        if (roles is not null)
        {
            // What --dev would set, for a platd that is one of several.
            args["Bus:Transport"] = "RabbitMq";
            args["Bus:RabbitMq:Url"] = options.RabbitMqUrl!;
            args["Blobstore:Kind"] = "Directory";
            args["Blobstore:Directory"] = options.BlobDirectory ?? Path.Combine(dataDir, "blobs");
            args["Api:DataDir"] = dataDir;
            args["Sandbox:Root"] = Path.Combine(dataDir, "sandbox");
        }
        // Host ports of its own (its iptables chains follow from its bridge: PLTE{octet}-*): every platd on a host
        // (a developer's, each suite's) must not map the same host port. Ports sit above the ephemeral range (the
        // tests' own listeners) and beside --dev's 61000-61999; octets 230-253 give distinct ranges up to 65099.
        var firstPort = 62100 + octet % 30 * 100;
        args["Sandbox:Network:HostPortRangeStart"] = firstPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        args["Sandbox:Network:HostPortRangeEnd"] = (firstPort + 99).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (k, v) in options.Settings ?? new Dictionary<string, string>()) args[k] = v;

        var platd = new PlatdProcess(roles, args, db, ownsDb, api, router, dataDir, cellId, args["Sandbox:Network:Bridge"], routerToken);
        try
        {
            await platd.LaunchAsync();
            if (hasApi)
            {
                var bootstrap = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dataDir, "bootstrap-admin.json")));
                platd.AdminPassword = bootstrap.RootElement.GetProperty("password").GetString()!;
                var login = await platd.PlatAsync(["login", "-a", api, "-u", "admin"],
                    new Dictionary<string, string> { ["PLAT_PASSWORD"] = platd.AdminPassword });
                if (login.ExitCode != 0) throw new InvalidOperationException("plat login failed: " + login);
            }
        }
        catch
        {
            await platd.DisposeAsync();
            throw;
        }
        return platd;
    }

    private async Task LaunchAsync(IDictionary<string, string>? overrides = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(ServerDll);
        if (_roles is null) psi.ArgumentList.Add("--dev");
        else
        {
            psi.ArgumentList.Add("--roles");
            psi.ArgumentList.Add(_roles);
        }
        var args = new Dictionary<string, string>(_args);
        foreach (var (k, v) in overrides ?? new Dictionary<string, string>()) args[k] = v;
        foreach (var (k, v) in args) psi.ArgumentList.Add($"--{k}={v}");
        psi.Environment["Logging__LogLevel__Default"] = "Information";
        psi.Environment["Logging__LogLevel__Microsoft"] = "Warning";
        psi.Environment["Logging__LogLevel__MassTransit"] = "Warning";
        var process = Process.Start(psi)!;
        lock (_log) _log.AppendLine($"---- platd {string.Join(' ', psi.ArgumentList.Take(3))} (pid {process.Id}) ----");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await WaitHealthyAsync(TimeSpan.FromSeconds(90));
    }

    /// <summary>SIGKILL: the process dies at once, as in a crash; whatever it started on its own keeps running.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        Process.Start("kill", ["-KILL", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
        await _process.WaitForExitAsync();
    }

    /// <summary>Starts platd again with the same settings (after <see cref="KillAsync"/> or an exit), and waits until it is healthy.</summary>
    public async Task RestartAsync()
    {
        if (!_process.HasExited) throw new InvalidOperationException("platd is still running: kill it first");
        _process.Dispose();
        await LaunchAsync();
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
    public Task<CommandResult> PlatAsync(IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? timeout = null,
        byte[]? stdin = null)
    {
        var all = new Dictionary<string, string> { ["PLAT_HOME"] = PlatHome };
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) all[k] = v;
        return CommandResult.RunAsync("dotnet", [CliDll, .. args], all, timeout ?? TimeSpan.FromMinutes(5), stdin);
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
        await StopAsync();
        var runsCell = _roles is null || _roles.Split(',').Any(r => r.Trim() is "cell" or "all");
        var leavesInstances = _roles is not null
            && !(_args.TryGetValue("Cell:StopInstancesOnShutdown", out var stop) && bool.TryParse(stop, out var b) && b);
        if (runsCell && leavesInstances && _process is not null)
        {
            // A cell agent leaves its instances running when stopped: start it once more to adopt and stop them.
            try
            {
                _process.Dispose();
                await LaunchAsync(new Dictionary<string, string> { ["Cell:StopInstancesOnShutdown"] = "true" });
                await StopAsync();
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                lock (_log) _log.AppendLine("cleaning up the cell's instances failed: " + e.Message);
            }
        }
        _process?.Dispose();
        await CommandResult.RunAsync("ip", ["link", "del", Bridge]);
        if (_ownsDb && _db is not null) await _db.DisposeAsync();
    }

    private async Task StopAsync()
    {
        if (_process is null || _process.HasExited) return;
        // SIGTERM: platd exits as an operator's stop would (a --dev platd stops its instances first).
        Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
    }
}

/// <summary>The result of running a command to completion.</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";

    /// <param name="stdin">Written to the command's standard input, which is then closed (empty when null).</param>
    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> args,
        IDictionary<string, string>? env = null, TimeSpan? timeout = null, byte[]? stdin = null)
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
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            try { await p.StandardInput.BaseStream.WriteAsync(stdin); }
            catch (IOException) { /* it exited (or stopped reading) first */ }
        }
        try { p.StandardInput.Close(); }
        catch (IOException) { }
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
