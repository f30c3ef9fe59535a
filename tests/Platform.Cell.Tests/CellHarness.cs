using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Blobstore;
using Platform.Cell;
using Platform.Contracts;
using Platform.Contracts.Messages;
using Platform.Sandbox;
using Platform.Sandbox.Layers;

namespace Platform.Cell.Tests;

/// <summary>Records what the cell publishes. The bus itself is tested in Platform.Data.Tests.</summary>
public sealed class RecordingDispatcher : IMessageDispatcher
{
    public ConcurrentQueue<object> Messages { get; } = new();

    public Task DispatchAsync(object message, string? queue, CancellationToken cancellationToken)
    {
        Messages.Enqueue(message);
        return Task.CompletedTask;
    }

    public IEnumerable<InstanceStateChanged> States(Guid instanceId) =>
        Messages.OfType<InstanceStateChanged>().Where(m => m.InstanceId == instanceId);

    public IEnumerable<LogEntry> Logs(Guid appId) =>
        Messages.OfType<LogBatch>().Where(b => b.AppId == appId).SelectMany(b => b.Entries);
}

/// <summary>
/// A real cell's instance manager over a real sandbox (runc/crun, overlayfs, netns), a directory blobstore and
/// a layer cache, with a droplet made of two small layers: busybox as /bin/sh and a static site as the app.
/// </summary>
public sealed class CellHarness : IAsyncDisposable
{
    public RecordingDispatcher Dispatcher { get; } = new();
    public InstanceManager Instances { get; private set; }
    public Sandbox.Sandbox Sandbox { get; private set; }
    public IReadOnlyList<LayerRef> Layers { get; private set; } = [];
    private readonly LogShipper _logs;
    private readonly string _root;

    private CellHarness(string root, CellOptions options)
    {
        _root = root;
        Sandbox = NewSandbox();
        Blobs = new DirectoryBlobStore(Path.Combine(root, "blobs"));
        _cache = new LayerCache(Path.Combine(root, "layers"));
        _options = options;
        _logs = new LogShipper(Dispatcher, TimeProvider.System, NullLogger<LogShipper>.Instance);
        Instances = NewInstanceManager();
    }

    private Sandbox.Sandbox NewSandbox() => new(Options.Create(new SandboxOptions
    {
        Root = Path.Combine(_root, "sandbox"),
        InitPath = File.Exists("/usr/bin/catatonit") ? "/usr/bin/catatonit" : null,
        Network = new SandboxNetworkOptions { Bridge = "pltcell", Subnet = "10.248.0.0/16", ChainPrefix = "PLTCELL", HostPortRangeStart = 62000, HostPortRangeEnd = 62099 },
    }));

    private readonly LayerCache _cache;
    private readonly CellOptions _options;

    /// <summary>Another instance manager over the same sandbox.</summary>
    public InstanceManager NewInstanceManager() =>
        new(Sandbox, new DropletLayers(Blobs, _cache), _logs, Dispatcher,
            new CellReportClock(Options.Create(new SandboxOptions { Root = Path.Combine(_root, "sandbox") }), TimeProvider.System,
                NullLogger<CellReportClock>.Instance),
            Options.Create(_options), TimeProvider.System, NullLogger<InstanceManager>.Instance);

    /// <summary>
    /// What an upgrade of the cell agent does, in one process: the old agent lets go of its instances (they run on
    /// under their monitors) and what it read is shipped; then a new sandbox and instance manager over the same
    /// directories take over, as a new process would. <see cref="Instances"/> is the new agent's afterwards.
    /// </summary>
    public async Task RestartAgentAsync()
    {
        Instances.Release();
        // The shipper batches every 200 ms: let what the old agent read leave (and its cursors be saved).
        await Task.Delay(TimeSpan.FromSeconds(1));
        Sandbox = NewSandbox();
        Instances = NewInstanceManager();
    }

    public DirectoryBlobStore Blobs { get; }

    /// <summary>The droplet's layers unpacked in the cell's layer cache.</summary>
    public Task<IReadOnlyList<string>> LayerDirectoriesAsync() =>
        new DropletLayers(Blobs, _cache).FetchAsync(Layers, CancellationToken.None);

    public static async Task<CellHarness> CreateAsync(int healthCheckTimeoutSeconds = 30, double livenessIntervalSeconds = 5)
    {
        var root = Path.Combine("/var/lib/platform/test", "cell-" + Guid.NewGuid().ToString("N")[..8]);
        var harness = new CellHarness(root, new CellOptions
        {
            Id = "cell-test", HealthCheckTimeoutSeconds = healthCheckTimeoutSeconds, StopGraceSeconds = 2,
            LivenessIntervalSeconds = livenessIntervalSeconds,
        });
        await harness._logs.StartAsync(CancellationToken.None);
        harness.Layers = [await harness.PackAsync("base", BuildBase), await harness.PackAsync("app", BuildApp)];
        return harness;
    }

    private static void BuildBase(string dir)
    {
        Directory.CreateDirectory(Path.Combine(dir, "bin"));
        File.Copy("/bin/busybox", Path.Combine(dir, "bin", "busybox"));
        foreach (var applet in new[] { "sh", "sleep", "cat", "echo", "ls", "mkdir", "rm" })
            File.CreateSymbolicLink(Path.Combine(dir, "bin", applet), "busybox");
        Directory.CreateDirectory(Path.Combine(dir, "etc"));
        // Sticky and world-writable, as a real /tmp: apps (uid 2000) write there. Set after creation: the umask applies to mkdir.
        var tmp = Directory.CreateDirectory(Path.Combine(dir, "tmp")).FullName;
        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.StickyBit);
    }

    private static void BuildApp(string dir)
    {
        var app = Path.Combine(dir, "home", "vcap", "app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "index.html"), "hello from the cell test");
    }

    private async Task<LayerRef> PackAsync(string name, Action<string> build)
    {
        var dir = Path.Combine(_root, "src-" + name);
        Directory.CreateDirectory(dir);
        build(dir);
        var file = Path.Combine(_root, name + ".tar.gz");
        var packed = await LayerPacker.PackToFileAsync(dir, file, null, CancellationToken.None);
        var blob = await Blobs.PutFileAsync(file, CancellationToken.None);
        Assert.Equal(packed.Digest, blob.Digest);
        return new LayerRef(blob.Digest, blob.Size, name);
    }

    public StartInstance Start(string command, int index = 0, IReadOnlyList<LayerRef>? layers = null, HealthCheck? healthCheck = null) =>
        new(Guid.NewGuid(), Guid.NewGuid(), "cellapp", index, "cell-test", Guid.NewGuid(),
            new DropletSpec(layers ?? Layers, command), 64, 256, new Dictionary<string, string> { ["GREETING"] = "hi" },
            HealthCheck: healthCheck);

    public async Task<InstanceStateChanged> WaitForStateAsync(Guid instanceId, InstanceState state, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (Dispatcher.States(instanceId).FirstOrDefault(s => s.State == state) is { } found) return found;
            await Task.Delay(50);
        }
        throw new TimeoutException($"instance {instanceId} never reported {state}; it reported: " +
            string.Join(", ", Dispatcher.States(instanceId).Select(s => $"{s.State} ({s.Reason})")));
    }

    /// <summary>Waits until a log line the cell shipped matches (lines leave in batches every 200 ms).</summary>
    public async Task WaitForLogAsync(Guid appId, Func<LogEntry, bool> match)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (Dispatcher.Logs(appId).Any(match)) return;
            await Task.Delay(50);
        }
        throw new TimeoutException("log line not shipped; got:\n" + string.Join("\n", Dispatcher.Logs(appId).Select(e => $"[{e.Source}/{e.SourceIndex}] {e.Stream} {e.Text}")));
    }

    public async ValueTask DisposeAsync()
    {
        await Instances.StopAllAsync(CancellationToken.None);
        foreach (var id in await Sandbox.ListAsync(CancellationToken.None))
            await Sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None);
        await _logs.StopAsync(CancellationToken.None);
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>
/// Test classes with a <see cref="CellHarness"/> run one after another: every harness uses the same bridge, subnet,
/// iptables chains and host ports (its IP reservations are its own), so two at once would hand out the same addresses.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CellHarnessCollection
{
    public const string Name = "cell harness";
}
