using Microsoft.Extensions.Options;
using Platform.Contracts.Messages;
using Platform.Staging.Buildpacks;
using Platform.Staging.Layers;

namespace Platform.Staging.Dependencies;

/// <summary>A buildpack dependency ready for use: its packed layer and its unpacked directory.</summary>
/// <param name="Directory">A directory holding layers/&lt;name&gt;/..., usable as a staging container layer.</param>
public sealed record DependencyLayer(BuildpackDependency Dependency, LayerFile Layer, string Directory)
{
    public LayerRef ToLayerRef() => new(Layer.Digest, Layer.Size, "dep:" + Dependency.Name);
}

/// <summary>
/// Turns a buildpack dependency into a layer at /layers/&lt;name&gt;/: fetch the verified .deb, extract it
/// with dpkg-deb -x, pack it. The result is cached on the host by the .deb's sha256 (and the name, which is
/// part of every path in the layer), so a restage, or another app with the same dependency, neither
/// refetches nor repacks; equal content gives an equal digest, so the blob is stored once.
/// </summary>
public sealed class DependencyLayers(DebianPackageFetcher fetcher, LayerFiles layerFiles, IOptions<StagingOptions> options)
{
    private readonly string _cacheDir = Path.Combine(options.Value.CacheDir, "dependencies");
    private readonly TimeSpan _timeout = options.Value.DownloadTimeout;

    public async Task<DependencyLayer> GetAsync(BuildpackDependency dependency, Action<string> log, CancellationToken cancellationToken)
    {
        var key = $"{dependency.Name}-{dependency.Sha256}";
        var recordPath = Path.Combine(_cacheDir, key + ".json");
        var rootDir = Path.Combine(_cacheDir, key);
        using var _ = await KeyedLock.AcquireAsync("dep:" + recordPath, cancellationToken);

        var record = await AtomicFile.ReadJsonAsync<Record>(recordPath, cancellationToken);
        if (record is not null && Directory.Exists(rootDir) && File.Exists(layerFiles.CachedPathOf(record.Digest)))
            return new DependencyLayer(dependency, new LayerFile(record.Digest, record.Size, layerFiles.CachedPathOf(record.Digest)), rootDir);

        var deb = await fetcher.FetchAsync(dependency, log, cancellationToken);
        Directory.CreateDirectory(_cacheDir);
        var temporary = Path.Combine(_cacheDir, $".extract-{Guid.NewGuid():N}");
        try
        {
            var contents = Path.Combine(temporary, "layers", dependency.Name);
            Directory.CreateDirectory(contents);
            var extract = await HostCommand.RunAsync("dpkg-deb", ["-x", deb, contents], temporary, _timeout, cancellationToken);
            if (!extract.Succeeded)
                throw new StagingFailedException($"dependency {dependency.Name}: dpkg-deb -x failed: {extract.Output.Trim()}");
            // The package's absolute links must still find its own files under /layers/<name>/.
            AbsoluteLinkRelocator.Relocate(contents);
            // Inside the container the files appear at /layers/<name>/...
            var packed = await layerFiles.PackIntoCacheAsync(contents, $"layers/{dependency.Name}/", [], cancellationToken);
            if (Directory.Exists(rootDir)) Directory.Delete(rootDir, recursive: true);
            Directory.Move(temporary, rootDir);
            await AtomicFile.WriteJsonAsync(recordPath, new Record(packed.Digest, packed.Size), cancellationToken);
            return new DependencyLayer(dependency, packed, rootDir);
        }
        finally
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        }
    }

    private sealed record Record(string Digest, long Size);
}
