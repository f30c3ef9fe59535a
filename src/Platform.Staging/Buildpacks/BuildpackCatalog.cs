using Microsoft.Extensions.Options;

namespace Platform.Staging.Buildpacks;

/// <summary>
/// The buildpacks installed on this stager: every directory under the buildpacks directory that holds a
/// manifest.yml, and the order in which they detect.
/// </summary>
public sealed class BuildpackCatalog(IOptions<StagingOptions> options)
{
    private readonly StagingOptions _options = options.Value;

    /// <summary>The directory buildpacks are read from (configured, or the repository's buildpacks/).</summary>
    public string BuildpacksDir => _options.BuildpacksDir is { Length: > 0 } dir
        ? Path.GetFullPath(dir)
        : FindRepositoryBuildpacks();

    /// <summary>
    /// All buildpacks, in detect order: those named in Staging:BuildpackOrder first, in that order, then any
    /// others by name. Read afresh on each call so that adding a buildpack needs no restart.
    /// </summary>
    public IReadOnlyList<Buildpack> List()
    {
        var root = BuildpacksDir;
        if (!Directory.Exists(root))
            throw new StagingFailedException($"the buildpacks directory {root} does not exist (set Staging:BuildpacksDir)");
        var all = new List<Buildpack>();
        foreach (var dir in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            var manifestPath = Path.Combine(dir, "manifest.yml");
            if (!File.Exists(manifestPath)) continue;
            var manifest = BuildpackManifest.Parse(File.ReadAllText(manifestPath), manifestPath);
            all.Add(new Buildpack(dir, manifest));
        }
        var order = _options.BuildpackOrder;
        return all
            .OrderBy(b => order.IndexOf(b.Name) is var i && i >= 0 ? i : int.MaxValue)
            .ThenBy(b => b.Name, StringComparer.Ordinal)
            .ToList();
    }

    private static string FindRepositoryBuildpacks()
    {
        // Deployed: buildpacks/ beside the binaries. From a source tree: the repository's buildpacks/.
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "buildpacks");
            if (Directory.Exists(candidate) && Directory.EnumerateFiles(candidate, "manifest.yml", SearchOption.AllDirectories).Any())
                return candidate;
        }
        throw new StagingFailedException(
            $"no buildpacks directory found above {AppContext.BaseDirectory}: set Staging:BuildpacksDir");
    }
}
