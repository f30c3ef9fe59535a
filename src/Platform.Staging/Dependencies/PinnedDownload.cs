using System.Security.Cryptography;
using Platform.Staging.Buildpacks;

namespace Platform.Staging.Dependencies;

/// <summary>
/// What every dependency fetcher does once its tool (apt-get download, npm pack) has run: exactly one file
/// came down, its sha256 is the one the manifest pins, and only then does it enter the download cache.
/// </summary>
internal static class PinnedDownload
{
    /// <summary>Moves the one <paramref name="pattern"/> file in <paramref name="downloadDirectory"/> to <paramref name="cachedPath"/> once verified.</summary>
    /// <param name="what">The command that downloaded it, for messages (e.g. "apt-get download busybox-static=1.35").</param>
    public static async Task<string> KeepVerifiedAsync(BuildpackDependency dependency, string downloadDirectory, string pattern,
        string what, string cachedPath, CancellationToken cancellationToken)
    {
        var files = Directory.GetFiles(downloadDirectory, pattern);
        if (files.Length != 1)
            throw new StagingFailedException($"dependency {dependency.Name}: {what} produced {files.Length} {pattern} files, expected one");

        var actual = await Sha256OfFileAsync(files[0], cancellationToken);
        if (actual != dependency.Sha256)
            throw new StagingFailedException(
                $"dependency {dependency.Name} {dependency.Version} ({dependency.Source}) failed verification: its sha256 is {actual}, " +
                $"but the buildpack's manifest pins {dependency.Sha256}; nothing was stored");
        File.Move(files[0], cachedPath, overwrite: true);
        return cachedPath;
    }

    public static async Task<string> Sha256OfFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
    }
}
