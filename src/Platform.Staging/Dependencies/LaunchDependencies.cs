namespace Platform.Staging.Dependencies;

/// <summary>
/// Which of the buildpack's dependencies the droplet launches with. Every dependency the manifest pins is
/// mounted while the buildpack runs; a buildpack that needs only some of them at run time (the java buildpack
/// needs Tomcat for a WAR but not for a JAR) names those in <c>$DEPS_DIR/$DEPS_IDX/launch-dependencies</c>,
/// one name per line. Without that file the droplet gets them all.
/// </summary>
public static class LaunchDependencies
{
    public const string FileName = "launch-dependencies";

    public static async Task<List<DependencyLayer>> ChooseAsync(
        List<DependencyLayer> all, string depsIndexDir, Action<string> log, CancellationToken cancellationToken)
    {
        var file = Path.Combine(depsIndexDir, FileName);
        // The buildpack wrote this file: a link could point anywhere on the stager.
        if (!File.Exists(file) || new FileInfo(file).LinkTarget is not null) return all;
        var names = (await File.ReadAllLinesAsync(file, cancellationToken))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var unknown = names.Where(n => all.All(d => d.Dependency.Name != n)).ToList();
        if (unknown.Count > 0)
            throw new StagingFailedException(
                $"the buildpack asked to launch with {string.Join(", ", unknown)}, which its manifest.yml does not pin " +
                $"(it pins: {string.Join(", ", all.Select(d => d.Dependency.Name))})");
        var chosen = all.Where(d => names.Contains(d.Dependency.Name)).ToList();
        log($"-----> Launch dependencies: {(chosen.Count == 0 ? "none" : string.Join(", ", chosen.Select(d => d.Dependency.Name)))}");
        return chosen;
    }
}
