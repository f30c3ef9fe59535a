using System.Diagnostics;
using Microsoft.Extensions.Options;
using Platform.TestSupport;

namespace Platform.Isolation.Tests;

/// <summary>One runtime's sandbox: its own root, state, bridge, subnet, host ports and iptables chains.</summary>
public sealed record RuntimeSandbox(string Runtime, Platform.Sandbox.Sandbox Sandbox, SandboxOptions Options, string Gateway, int AllowedHostPort);

/// <summary>
/// The sandboxes under test, one per OCI runtime (runc, and crun through its private-mount-namespace path on a
/// hybrid host), set up like a cell's: catatonit as init, the default pids limit, the default egress policy with
/// one allowlisted host port. The layers are those of a droplet: the debootstrapped stack, a tools layer (the
/// escape helper compiled here with gcc, and a set-uid-root copy of it, as an image might carry one), a
/// dependency layer and an app layer owned by vcap.
/// </summary>
public sealed class IsolationFixture : IAsyncLifetime
{
    public const uint Vcap = 2000;
    public const string Init = "/usr/bin/catatonit";
    public string Root { get; } = Path.Combine("/var/tmp/platform-isolation-tests", Guid.NewGuid().ToString("N")[..12]);
    public string StackLayer { get; private set; } = "";
    public string ToolsLayer => Path.Combine(Root, "layers", "tools");
    public string DependencyLayer => Path.Combine(Root, "layers", "dep");
    public string AppLayer => Path.Combine(Root, "layers", "app");
    public IReadOnlyList<string> Layers => [StackLayer, ToolsLayer, DependencyLayer, AppLayer];
    private readonly Dictionary<string, RuntimeSandbox> _sandboxes = [];

    public RuntimeSandbox For(string runtime) => _sandboxes[runtime];

    public async Task InitializeAsync()
    {
        StackLayer = TestEnvironment.StackRootfs;
        if (!Directory.Exists(Path.Combine(StackLayer, "bin")))
            throw new InvalidOperationException($"PLATFORM_TEST_STACK_ROOTFS={StackLayer} is not a rootfs directory");
        if (!File.Exists(Init)) throw new InvalidOperationException($"{Init} is missing: apt-get install catatonit (deploy/lib.sh installs it)");

        var tools = Directory.CreateDirectory(Path.Combine(ToolsLayer, "opt", "tools")).FullName;
        var source = Path.Combine(AppContext.BaseDirectory, "escape.c");
        var helper = Path.Combine(tools, "escape");
        var gcc = await RunAsync("gcc", "-static", "-O1", "-o", helper, source);
        if (gcc.ExitCode != 0) throw new InvalidOperationException($"gcc -static failed (gcc and libc6-dev are needed): {gcc.Output}");
        var suid = Path.Combine(tools, "escape-suid");
        File.Copy(helper, suid);
        File.SetUnixFileMode(suid, (UnixFileMode)0xDED); // 04755, owned by root: a set-uid-root program
        foreach (var d in new[] { tools, Path.GetDirectoryName(tools)! }) File.SetUnixFileMode(d, (UnixFileMode)0x1ED);

        var dep = Directory.CreateDirectory(Path.Combine(DependencyLayer, "layers", "dep")).FullName;
        await File.WriteAllTextAsync(Path.Combine(dep, "lib.txt"), "dependency\n");
        File.SetUnixFileMode(Path.Combine(dep, "lib.txt"), (UnixFileMode)0x1A4); // 0644

        var app = Directory.CreateDirectory(Path.Combine(AppLayer, "home", "vcap", "app")).FullName;
        await File.WriteAllTextAsync(Path.Combine(app, "index.html"), "app\n");
        foreach (var d in new[] { Path.Combine(AppLayer, "home"), Path.Combine(AppLayer, "home", "vcap"), app })
            File.SetUnixFileMode(d, (UnixFileMode)0x1ED);
        var chown = await RunAsync("chown", "-R", $"{Vcap}:{Vcap}", Path.Combine(AppLayer, "home", "vcap"));
        if (chown.ExitCode != 0) throw new InvalidOperationException(chown.Output);

        foreach (var (runtime, n) in new[] { ("runc", 0), ("crun", 1) })
        {
            var root = Path.Combine(Root, runtime);
            var gateway = $"10.{226 + n}.0.1";
            var allowedPort = 47100 + n;
            var options = new SandboxOptions
            {
                Root = root,
                LayersDirectory = Path.Combine(root, "layers"),
                RuntimeStateDirectory = Path.Combine("/run/platform-isolation-tests", Path.GetFileName(Root), runtime),
                Runtime = runtime,
                InitPath = Init,
                Network = new SandboxNetworkOptions
                {
                    Bridge = $"platiso{n}",
                    Subnet = $"10.{226 + n}.0.0/16",
                    HostPortRangeStart = 63000 + n * 500,
                    HostPortRangeEnd = 63499 + n * 500,
                    ChainPrefix = $"PLATISO{n}",
                    AllowedNetworks = [$"{gateway}/32:{allowedPort}"],
                },
            };
            var sandbox = new Platform.Sandbox.Sandbox(Microsoft.Extensions.Options.Options.Create(options));
            await sandbox.Networker.EnsureHostNetworkAsync(CancellationToken.None);
            _sandboxes[runtime] = new RuntimeSandbox(runtime, sandbox, options, gateway, allowedPort);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var s in _sandboxes.Values)
        {
            foreach (var id in await s.Sandbox.ListAsync(CancellationToken.None))
                await s.Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None);
            await s.Sandbox.Networker.RemoveHostNetworkAsync(CancellationToken.None);
            if (Directory.Exists(s.Options.RuntimeStateDirectory)) Directory.Delete(s.Options.RuntimeStateDirectory!, recursive: true);
        }
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }

    /// <summary>An instance as the cell makes one: vcap, limits, its own network and port, the droplet's layers.</summary>
    public ContainerSpec Instance(string id, string script) => new()
    {
        Id = id,
        Layers = Layers,
        Args = ["/bin/bash", "-c", script],
        Env = new Dictionary<string, string> { ["HOME"] = "/home/vcap/app", ["PORT"] = "8080", ["LANG"] = "C.UTF-8" },
        WorkingDir = "/home/vcap/app",
        Hostname = id,
        MemoryLimitBytes = 256L * 1024 * 1024,
        DiskLimitBytes = 64L * 1024 * 1024,
        ContainerPort = 8080,
        User = new ContainerUser(Vcap, Vcap),
    };

    public static string NewId(string what) => $"iso-{what}-{Guid.NewGuid().ToString("N")[..8]}";

    public static async Task<(int ExitCode, string Output)> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }
}

[CollectionDefinition(Name)]
public sealed class IsolationCollection : ICollectionFixture<IsolationFixture>
{
    public const string Name = "isolation";
}

/// <summary>Collects a container's output lines.</summary>
public sealed class OutputCollector
{
    private readonly List<(string Stream, string Line)> _lines = [];
    public void Add(string stream, string line) { lock (_lines) _lines.Add((stream, line)); }
    public IReadOnlyList<string> Out { get { lock (_lines) return _lines.Where(l => l.Stream == "OUT").Select(l => l.Line).ToList(); } }
    public override string ToString() { lock (_lines) return string.Join('\n', _lines.Select(l => $"{l.Stream}: {l.Line}")); }
}

/// <summary>Starts an instance, waits for it to end (bounded), destroys it, and returns how it ended and what it said.</summary>
public static class Instances
{
    public static async Task<(ContainerExit Exit, OutputCollector Output)> RunToEndAsync(RuntimeSandbox s, ContainerSpec spec, int seconds = 60)
    {
        var output = new OutputCollector();
        try
        {
            var container = await s.Sandbox.StartAsync(spec, output.Add, CancellationToken.None);
            var exit = await container.Exited.WaitAsync(TimeSpan.FromSeconds(seconds));
            return (exit, output);
        }
        finally { await s.Sandbox.DestroyAsync(spec.Id, TimeSpan.Zero, CancellationToken.None); }
    }

    /// <summary>The value after "key=" in the output, e.g. "result=EPERM" -> "EPERM".</summary>
    public static string Value(this OutputCollector output, string key) =>
        output.Out.LastOrDefault(l => l.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..]
        ?? throw new Xunit.Sdk.XunitException($"no '{key}=' line in the output:\n{output}");

    public static async Task<string?> UntilAsync(Func<Task<bool>> check, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        string? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try { if (await check()) return null; }
            catch (Exception ex) { last = ex.Message; }
            await Task.Delay(100);
        }
        return last ?? "condition never held";
    }
}
