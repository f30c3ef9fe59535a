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

    /// <summary>One directory of the catalog: its buildpack, or why it is broken.</summary>
    public sealed record Entry(string DirectoryName, Buildpack? Buildpack, string? Error);

    /// <summary>
    /// Every buildpack directory in detect order, a broken manifest reported instead of thrown, for listings
    /// (<see cref="List"/> fails on the first broken one, as a build must).
    /// </summary>
    public IReadOnlyList<Entry> Describe()
    {
        var root = BuildpacksDir;
        if (!Directory.Exists(root)) return [];
        var entries = new List<Entry>();
        foreach (var dir in Directory.GetDirectories(root))
        {
            var manifestPath = Path.Combine(dir, "manifest.yml");
            if (!File.Exists(manifestPath)) continue;
            try
            {
                entries.Add(new Entry(Path.GetFileName(dir), new Buildpack(dir, BuildpackManifest.Parse(File.ReadAllText(manifestPath), manifestPath)), null));
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                entries.Add(new Entry(Path.GetFileName(dir), null, e.Message));
            }
        }
        var order = _options.BuildpackOrder;
        return entries
            .OrderBy(e => order.IndexOf(e.Buildpack?.Name ?? e.DirectoryName) is var i && i >= 0 ? i : int.MaxValue)
            .ThenBy(e => e.Buildpack?.Name ?? e.DirectoryName, StringComparer.Ordinal)
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
