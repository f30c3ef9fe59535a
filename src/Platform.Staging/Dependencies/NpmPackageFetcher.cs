using Microsoft.Extensions.Options;
using Platform.Staging.Buildpacks;

namespace Platform.Staging.Dependencies;

/// <summary>
/// Fetches the tarball of an "npm:" dependency (e.g. npm itself, which Debian splits into hundreds of node-*
/// packages but the registry ships as one self-contained tarball) with <c>npm pack NAME@VERSION</c> on the
/// staging host, into a download cache keyed by the sha256 the manifest pins. A tarball whose sha256 differs
/// is deleted and never enters the cache.
/// </summary>
public sealed class NpmPackageFetcher(IOptions<StagingOptions> options)
{
    private readonly StagingOptions _options = options.Value;

    private string CacheDir => Path.Combine(_options.CacheDir, "npm");

    /// <summary>Returns the path of the verified .tgz in the download cache.</summary>
    public async Task<string> FetchAsync(BuildpackDependency dependency, Action<string> log, CancellationToken cancellationToken)
    {
        var cached = Path.Combine(CacheDir, dependency.Sha256 + ".tgz");
        using var _ = await KeyedLock.AcquireAsync("npm:" + cached, cancellationToken);
        if (File.Exists(cached) && await PinnedDownload.Sha256OfFileAsync(cached, cancellationToken) == dependency.Sha256)
            return cached;

        Directory.CreateDirectory(CacheDir);
        var download = Directory.CreateDirectory(Path.Combine(CacheDir, $".download-{Guid.NewGuid():N}")).FullName;
        try
        {
            var spec = $"{dependency.NpmPackage}@{dependency.Version}";
            log($"       Downloading {spec} from the npm registry");
            var result = await HostCommand.RunAsync(_options.NpmPath,
                ["pack", spec, "--pack-destination", download, "--silent", "--ignore-scripts"],
                download, _options.DownloadTimeout, cancellationToken);
            if (!result.Succeeded)
                throw new StagingFailedException(
                    $"dependency {dependency.Name}: npm pack {spec} failed (exit {result.ExitCode}): {result.Output.Trim()}");
            return await PinnedDownload.KeepVerifiedAsync(dependency, download, "*.tgz", $"npm pack {spec}", cached, cancellationToken);
        }
        finally
        {
            Directory.Delete(download, recursive: true);
        }
    }
}
