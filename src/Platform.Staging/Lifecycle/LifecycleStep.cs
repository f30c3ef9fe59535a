using Platform.Sandbox;

namespace Platform.Staging.Lifecycle;

/// <summary>Directories one build's lifecycle steps share, on the host and as the buildpack sees them.</summary>
/// <param name="AppDir">The unpacked app; /tmp/app inside (BUILD_DIR).</param>
/// <param name="CacheDir">The app's build cache, kept between builds; /tmp/cache inside (CACHE_DIR).</param>
/// <param name="DepsDir">Where supply puts what it provides; /tmp/deps inside (DEPS_DIR).</param>
/// <param name="Layers">Read-only layer directories, bottom first: the stack, then each dependency.</param>
public sealed record LifecycleContext(
    Guid BuildId,
    string AppDir,
    string CacheDir,
    string DepsDir,
    IReadOnlyList<string> Layers,
    long MemoryLimitBytes,
    IReadOnlyDictionary<string, string> Env);

/// <summary>How a lifecycle step ended, and what it printed on stdout when asked to capture it.</summary>
public sealed record LifecycleStepResult(ContainerExit Exit, IReadOnlyList<string> Stdout)
{
    public bool Succeeded => Exit is { ExitCode: 0 };
}

/// <summary>Paths inside the staging container, as Cloud Foundry's buildpack lifecycle uses them.</summary>
public static class LifecyclePaths
{
    public const string App = "/tmp/app";
    public const string Cache = "/tmp/cache";
    public const string Deps = "/tmp/deps";
    /// <summary>
    /// Finalize's PROFILE_DIR. It lies inside the app, so its scripts ship in the app layer at
    /// /home/vcap/app/.profile.d, where the cell's launcher sources them.
    /// </summary>
    public const string Profile = "/tmp/app/.profile.d";
    public static string Buildpack(string name) => $"/tmp/buildpacks/{name}";
    /// <summary>Where networked steps find the host's trusted CA bundle (Cloud Foundry's CF_SYSTEM_CERT_PATH).</summary>
    public const string SystemCertificates = "/etc/cf-system-certificates";
}
