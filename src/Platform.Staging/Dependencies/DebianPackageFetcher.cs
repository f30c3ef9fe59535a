using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Staging.Buildpacks;

namespace Platform.Staging.Dependencies;

/// <summary>
/// Fetches the .deb of an "apt:" dependency with <c>apt-get download NAME=VERSION</c> into a host-side
/// download cache keyed by the sha256 the manifest pins, so each file is fetched once per machine. A file
/// whose sha256 differs from the manifest's is deleted and never enters the cache.
/// </summary>
public sealed class DebianPackageFetcher(IOptions<StagingOptions> options, ILogger<DebianPackageFetcher> logger)
{
    private readonly StagingOptions _options = options.Value;

    private string CacheDir => Path.Combine(_options.CacheDir, "debs");

    /// <summary>Returns the path of the verified .deb in the download cache.</summary>
    public async Task<string> FetchAsync(BuildpackDependency dependency, Action<string> log, CancellationToken cancellationToken)
    {
        var cached = Path.Combine(CacheDir, dependency.Sha256 + ".deb");
        using var _ = await KeyedLock.AcquireAsync("deb:" + cached, cancellationToken);
        if (File.Exists(cached))
        {
            // A cached file is checked again: a truncated or altered file must not slip into a droplet.
            if (await PinnedDownload.Sha256OfFileAsync(cached, cancellationToken) == dependency.Sha256) return cached;
            logger.LogWarning("cached {File} does not match its sha256; fetching it again", cached);
            File.Delete(cached);
        }

        Directory.CreateDirectory(CacheDir);
        var download = Directory.CreateDirectory(Path.Combine(CacheDir, $".download-{Guid.NewGuid():N}")).FullName;
        try
        {
            var spec = $"{dependency.AptPackage}={dependency.Version}";
            log($"       Downloading {spec}");
            var result = await AptGetDownloadAsync(spec, download, cancellationToken);
            if (!result.Succeeded && LooksLikeStalePackageLists(result.Output))
            {
                // A fresh machine, or lists older than the pinned version: refresh them once and retry.
                log("       The package lists do not know it yet; running apt-get update");
                await HostCommand.RunAsync("apt-get", ["update", "-qq"], download, _options.DownloadTimeout, cancellationToken);
                result = await AptGetDownloadAsync(spec, download, cancellationToken);
            }
            if (!result.Succeeded)
                throw new StagingFailedException(
                    $"dependency {dependency.Name}: apt-get download {spec} failed (exit {result.ExitCode}): {LastLines(result.Output)}");

            return await PinnedDownload.KeepVerifiedAsync(dependency, download, "*.deb", $"apt-get download {spec}", cached, cancellationToken);
        }
        finally
        {
            Directory.Delete(download, recursive: true);
        }
    }

    private Task<HostCommandResult> AptGetDownloadAsync(string spec, string directory, CancellationToken cancellationToken) =>
        // Running as root, apt wants to drop to the _apt user, which cannot write into our directory.
        HostCommand.RunAsync("apt-get", ["download", "-q", "-o", "APT::Sandbox::User=root", spec],
            directory, _options.DownloadTimeout, cancellationToken);

    private static bool LooksLikeStalePackageLists(string output) =>
        output.Contains("Unable to locate package", StringComparison.Ordinal)
        || output.Contains("was not found", StringComparison.Ordinal)
        || output.Contains("404", StringComparison.Ordinal);

    private static string LastLines(string output) =>
        string.Join(" | ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(3));
}
