using Microsoft.Extensions.Options;
using Platform.Sandbox.Layers;
using Platform.TestSupport;

namespace Platform.Sandbox.Tests;

/// <summary>
/// One sandbox for the container tests: its own root under /var/tmp, its own bridge, subnet, port range and
/// iptables chains (so it cannot disturb a platform running on the same host), the debootstrapped stack as the
/// bottom layer and a small layer packed and unpacked by the layer code itself.
/// </summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    public const string Busybox = "/bin/busybox";
    public string Root { get; } = Path.Combine("/var/tmp/platform-sandbox-tests", Guid.NewGuid().ToString("N")[..12]);
    public SandboxOptions Options { get; }
    public Sandbox Sandbox { get; private set; } = null!;
    public string StackLayer { get; private set; } = "";
    public string SmallLayer { get; private set; } = "";
    public LayerCache Layers { get; private set; } = null!;

    public SandboxFixture()
    {
        Options = new SandboxOptions
        {
            Root = Root,
            LayersDirectory = Path.Combine(Root, "layers"),
            RuntimeStateDirectory = Path.Combine("/run/platform-tests", Path.GetFileName(Root)),
            Network = new SandboxNetworkOptions
            {
                Bridge = "plattest0",
                Subnet = "10.245.0.0/16",
                HostPortRangeStart = 62000,
                HostPortRangeEnd = 62999,
                ChainPrefix = "PLATTEST",
                AllowOutbound = false,
            },
        };
    }

    public Sandbox NewSandbox(SandboxOptions? options = null) => new(Microsoft.Extensions.Options.Options.Create(options ?? Options));

    public async Task InitializeAsync()
    {
        StackLayer = TestEnvironment.StackRootfs;
        if (!Directory.Exists(Path.Combine(StackLayer, "bin")))
            throw new InvalidOperationException($"PLATFORM_TEST_STACK_ROOTFS={StackLayer} is not a rootfs directory");
        if (!File.Exists(Busybox))
            throw new InvalidOperationException($"{Busybox} is missing: apt-get install busybox-static (deploy/lib.sh installs it)");
        Sandbox = NewSandbox();
        Layers = new LayerCache(Options.ResolvedLayersDirectory);

        // The small layer: made here, packed by LayerPacker, unpacked by LayerCache, like a droplet's app layer.
        var source = Path.Combine(Root, "small-src");
        Directory.CreateDirectory(Path.Combine(source, "small"));
        await File.WriteAllTextAsync(Path.Combine(source, "small", "hello.txt"), "hello from the small layer\n");
        await File.WriteAllTextAsync(Path.Combine(source, "small", "run.sh"), "#!/bin/sh\necho small-layer-script \"$@\"\n");
        File.SetUnixFileMode(Path.Combine(source, "small", "run.sh"), (UnixFileMode)0x1ED);
        var packed = Path.Combine(Root, "small.tar.gz");
        var layer = await LayerPacker.PackToFileAsync(source, packed, new LayerPackOptions { Prefix = "opt/" }, CancellationToken.None);
        SmallLayer = await Layers.GetAsync(layer.Digest, _ => Task.FromResult<Stream>(File.OpenRead(packed)), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (Sandbox is not null)
        {
            foreach (var id in await Sandbox.ListAsync(CancellationToken.None))
                await Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None);
            await Sandbox.Networker.RemoveHostNetworkAsync(CancellationToken.None);
        }
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        if (Directory.Exists(Options.RuntimeStateDirectory)) Directory.Delete(Options.RuntimeStateDirectory!, recursive: true);
        // A staging container on a hybrid host is made with runc, whose state is beside crun's (Sandbox.RuntimeFor).
        if (Directory.Exists(Options.RuntimeStateDirectory + "-runc")) Directory.Delete(Options.RuntimeStateDirectory + "-runc", recursive: true);
    }

    public ContainerSpec Spec(string id, params string[] shellCommand) => new()
    {
        Id = id,
        Layers = [StackLayer, SmallLayer],
        Args = ["/bin/sh", "-c", string.Join(' ', shellCommand)],
        Hostname = "box-" + id[..Math.Min(id.Length, 20)],
    };

    public static string NewId(string what) => $"t-{what}-{Guid.NewGuid().ToString("N")[..8]}";
}

[CollectionDefinition(Name)]
public sealed class SandboxCollection : ICollectionFixture<SandboxFixture>
{
    public const string Name = "sandbox";
}

/// <summary>Collects a container's output lines.</summary>
public sealed class OutputCollector
{
    private readonly List<(string Stream, string Line)> _lines = [];
    public void Add(string stream, string line) { lock (_lines) _lines.Add((stream, line)); }
    public IReadOnlyList<string> Out { get { lock (_lines) return _lines.Where(l => l.Stream == "OUT").Select(l => l.Line).ToList(); } }
    public IReadOnlyList<string> Err { get { lock (_lines) return _lines.Where(l => l.Stream == "ERR").Select(l => l.Line).ToList(); } }
    public override string ToString() { lock (_lines) return string.Join('\n', _lines.Select(l => $"{l.Stream}: {l.Line}")); }
}

public static class Wait
{
    /// <summary>Waits for a task with a generous bound, so a hang fails the test instead of stalling the run.</summary>
    public static Task<T> Bounded<T>(Task<T> task, int seconds = 60) => task.WaitAsync(TimeSpan.FromSeconds(seconds));

    /// <summary>Polls until the check passes or the time is up; returns the last exception's message if it never did.</summary>
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
