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
/// Turns a buildpack dependency into a layer at /layers/&lt;name&gt;/ (or at the rootfs's own paths with
/// install_root: /): fetch the verified .deb (dpkg-deb -x) or npm tarball (tar -x), or copy the host's .NET
/// runtime or SDK, then pack it. The result is cached on the host by the pinned sha256 (and the name and install
/// root, which are part of every path in the layer), so a restage, or another app with the same dependency,
/// neither refetches nor repacks; equal content gives an equal digest, so the blob is stored once.
/// </summary>
public sealed class DependencyLayers(
    DebianPackageFetcher debs, NpmPackageFetcher npm, HostDotnetRuntime hostDotnet, LayerFiles layerFiles, IOptions<StagingOptions> options)
{
    private readonly string _cacheDir = Path.Combine(options.Value.CacheDir, "dependencies");
    private readonly TimeSpan _timeout = options.Value.DownloadTimeout;

    public async Task<DependencyLayer> GetAsync(BuildpackDependency dependency, Action<string> log, CancellationToken cancellationToken)
    {
        var key = $"{dependency.Name}-{dependency.Sha256}{(dependency.AtRoot ? "-root" : "")}";
        var recordPath = Path.Combine(_cacheDir, key + ".json");
        var rootDir = Path.Combine(_cacheDir, key);
        using var _ = await KeyedLock.AcquireAsync("dep:" + recordPath, cancellationToken);

        var record = await AtomicFile.ReadJsonAsync<Record>(recordPath, cancellationToken);
        if (record is not null && Directory.Exists(rootDir) && File.Exists(layerFiles.CachedPathOf(record.Digest)))
            return new DependencyLayer(dependency, new LayerFile(record.Digest, record.Size, layerFiles.CachedPathOf(record.Digest)), rootDir);

        Directory.CreateDirectory(_cacheDir);
        var temporary = Path.Combine(_cacheDir, $".extract-{Guid.NewGuid():N}");
        try
        {
            var contents = dependency.AtRoot ? temporary : Path.Combine(temporary, "layers", dependency.Name);
            Directory.CreateDirectory(contents);
            await FillAsync(dependency, contents, temporary, log, cancellationToken);
            // Inside the container the files appear at /layers/<name>/... (or at their own paths).
            var prefix = dependency.AtRoot ? "" : $"layers/{dependency.Name}/";
            var packed = await layerFiles.PackIntoCacheAsync(contents, prefix, [], cancellationToken);
            if (dependency.IsFromHost && Platform.Blobstore.BlobDigest.ParseHex(packed.Digest) != dependency.Sha256)
            {
                // What pins a host runtime or SDK is the digest of its layer: anything else on this host is not what the buildpack tested.
                File.Delete(packed.File);
                throw new StagingFailedException(
                    $"dependency {dependency.Name} {dependency.Version} ({dependency.Source}) failed verification: the host's copy packs to " +
                    $"{packed.Digest}, but the buildpack's manifest pins sha256:{dependency.Sha256}; nothing was stored");
            }
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

    private async Task FillAsync(BuildpackDependency dependency, string contents, string workDir, Action<string> log, CancellationToken ct)
    {
        if (dependency.IsApt)
        {
            var deb = await debs.FetchAsync(dependency, log, ct);
            var extract = await HostCommand.RunAsync("dpkg-deb", ["-x", deb, contents], workDir, _timeout, ct);
            if (!extract.Succeeded)
                throw new StagingFailedException($"dependency {dependency.Name}: dpkg-deb -x failed: {extract.Output.Trim()}");
            // Off the root, the package's absolute links must still find its own files under /layers/<name>/.
            if (!dependency.AtRoot) AbsoluteLinkRelocator.Relocate(contents);
        }
        else if (dependency.IsNpm)
        {
            var tarball = await npm.FetchAsync(dependency, log, ct);
            // npm tarballs hold everything under package/. GNU tar refuses members with '..' and strips leading '/'.
            var extract = await HostCommand.RunAsync("tar",
                ["-xzf", tarball, "-C", contents, "--strip-components=1", "--no-same-owner", "--no-same-permissions"], workDir, _timeout, ct);
            if (!extract.Succeeded)
                throw new StagingFailedException($"dependency {dependency.Name}: unpacking {Path.GetFileName(tarball)} failed: {extract.Output.Trim()}");
        }
        else if (dependency.IsHostDotnet)
        {
            await hostDotnet.CopyRuntimeAsync(dependency, contents, log, ct);
        }
        else if (dependency.IsHostDotnetSdk)
        {
            await hostDotnet.CopySdkAsync(dependency, contents, log, ct);
        }
        else
        {
            throw new StagingFailedException($"dependency {dependency.Name}: unknown source '{dependency.Source}'");
        }
    }

    private sealed record Record(string Digest, long Size);
}
