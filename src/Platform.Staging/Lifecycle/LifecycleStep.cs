namespace Platform.Staging.Lifecycle;

/// <summary>Directories one build's lifecycle steps share, on the host and as the buildpack sees them.</summary>
/// <param name="AppDir">The unpacked app; /tmp/app inside (BUILD_DIR).</param>
/// <param name="CacheDir">The app's build cache, kept between builds; /tmp/cache inside (CACHE_DIR).</param>
/// <param name="DepsDir">Where supply puts what it provides; /tmp/deps inside (DEPS_DIR).</param>
/// <param name="MemoryLimitBytes">The app's memory: MEMORY_LIMIT in every step.</param>
/// <param name="Env">The app's own variables.</param>
public sealed record LifecycleContext(
    Guid BuildId,
    string AppDir,
    string CacheDir,
    string DepsDir,
    long MemoryLimitBytes,
    IReadOnlyDictionary<string, string> Env);

/// <summary>How one step of the build ended: its exit code (128+N when signal N ended it).</summary>
public sealed record StepResult(string Step, int ExitCode)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>"exited 3", "killed by signal 9".</summary>
    public string Describe() => ExitCode > 128 ? $"killed by signal {ExitCode - 128}" : $"exited {ExitCode}";
}

/// <summary>
/// What the build's steps did, in order, up to the first that failed; and bin/release's stdout, when it ran.
/// </summary>
public sealed record BuildResult(IReadOnlyList<StepResult> Steps, string? ReleaseOutput)
{
    public StepResult? Failed => Steps.FirstOrDefault(s => !s.Succeeded);
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
    /// <summary>Where staging finds the host's trusted CA bundle (Cloud Foundry's CF_SYSTEM_CERT_PATH).</summary>
    public const string SystemCertificates = "/etc/cf-system-certificates";
}
