using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Platform.Blobstore;
using Platform.Contracts.Messages;
using Platform.Sandbox;
using Platform.TestSupport;

namespace Platform.Staging.Tests;

/// <summary>
/// A real stager: the real sandbox (OCI runtime, overlayfs), the machine's stack rootfs, real apt-get
/// download and dpkg-deb, a directory blobstore, and the repository's buildpacks plus a few test fixtures.
/// </summary>
public sealed class StagingFixture : IAsyncLifetime
{
    private readonly TempDir _temp = new();
    private ServiceProvider? _services;

    public CollectingDispatcher Dispatcher { get; } = new();
    public DirectoryBlobStore Blobs { get; private set; } = null!;
    public Stager Stager => _services!.GetRequiredService<Stager>();
    public IServiceProvider Services => _services!;
    public string WorkDir => _temp.Combine("work");
    public string CacheDir => _temp.Combine("cache");
    public string BuildpacksDir => _temp.Combine("buildpacks");

    public Task InitializeAsync()
    {
        Blobs = new DirectoryBlobStore(_temp.Combine("blobs"));
        CopyDirectory(Path.Combine(TestEnvironment.RepoRoot, "buildpacks", "staticfile"), Path.Combine(BuildpacksDir, "staticfile"));
        CopyDirectory(Path.Combine(TestEnvironment.RepoRoot, "buildpacks", "binary"), Path.Combine(BuildpacksDir, "binary"));
        FixtureBuildpacks.WriteAll(BuildpacksDir);

        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Staging:StackRootfs"] = TestEnvironment.StackRootfs,
            ["Staging:BuildpacksDir"] = BuildpacksDir,
            ["Staging:CacheDir"] = CacheDir,
            ["Staging:WorkDir"] = WorkDir,
            ["Staging:DefaultMemoryMb"] = "256",
            ["Sandbox:Root"] = _temp.Combine("sandbox", "containers-root"),
            ["Sandbox:LayersDirectory"] = _temp.Combine("sandbox", "layers"),
            ["Sandbox:RuntimeStateDirectory"] = _temp.Combine("sandbox", "runtime-state"),
            ["Sandbox:Network:Bridge"] = "platstg0",
            ["Sandbox:Network:ChainPrefix"] = "PLATSTG",
            ["Sandbox:Network:Subnet"] = "10.251.0.0/24",
        }).Build();

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IBlobStore>(Blobs);
        services.AddSingleton<IMessageDispatcher>(Dispatcher);
        services.AddPlatformSandbox(config);
        services.AddPlatformStaging(config);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_services is not null) await _services.DisposeAsync();
        _temp.Dispose();
    }

    /// <summary>Stores a package zip in the blobstore and returns the request to stage it.</summary>
    public async Task<StageApp> PackageAsync(TestZip zip, string? buildpack = null, string? command = null)
    {
        var path = _temp.Combine($"package-{Guid.NewGuid():N}.zip");
        zip.WriteTo(path);
        var blob = await Blobs.PutFileAsync(path, CancellationToken.None);
        File.Delete(path);
        return new StageApp(Guid.NewGuid(), Guid.NewGuid(), "test-app", blob.Digest, buildpack, command, 256, 1024, []);
    }

    public IReadOnlySet<string> BlobFiles() =>
        Directory.EnumerateFiles(Path.Combine(Blobs.Root, "sha256")).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).ToHashSet();

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, File.GetUnixFileMode(file));
        }
    }
}
