namespace Platform.Staging.Buildpacks;

/// <summary>A buildpack on the staging host: its directory (with bin/detect etc.) and its manifest.</summary>
public sealed record Buildpack(string Directory, BuildpackManifest Manifest)
{
    public string Name => Manifest.Name;
    public string Version => Manifest.Version;

    /// <summary>Whether the buildpack has the script bin/<paramref name="step"/>.</summary>
    public bool Has(string step) => File.Exists(Path.Combine(Directory, "bin", step));
}
