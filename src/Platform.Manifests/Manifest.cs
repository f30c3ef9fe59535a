using Platform.Contracts;

namespace Platform.Manifests;

/// <summary>A manifest.yml in Cloud Foundry's schema: the apps to push and their settings.</summary>
public sealed record Manifest(IReadOnlyList<ManifestApp> Applications)
{
    public ManifestApp? Find(string name) => Applications.FirstOrDefault(a => a.Name == name);
}

/// <summary>One entry of an app's <c>routes:</c>, <c>- route: host.domain/path</c>, with its optional <c>protocol</c>.</summary>
public sealed record ManifestRoute(string Route, string? Protocol = null, int Line = 0);

/// <summary>
/// One app of a manifest. A null setting was not given: pushing leaves the app's own as it is (a new app gets the
/// platform's default). <see cref="Lines"/> says where each key was, so errors found later (a route's domain that
/// does not exist) can still name the line.
/// </summary>
public sealed record ManifestApp
{
    public required string Name { get; init; }
    /// <summary>The app's files, relative to the manifest's directory (plat only; the API ignores it).</summary>
    public string? Path { get; init; }
    public int? Instances { get; init; }
    public string? Memory { get; init; }
    public string? DiskQuota { get; init; }
    public IReadOnlyList<string>? Buildpacks { get; init; }
    public string? Command { get; init; }
    public IReadOnlyDictionary<string, string>? Env { get; init; }
    public IReadOnlyList<ManifestRoute>? Routes { get; init; }
    public bool? NoRoute { get; init; }
    public bool? RandomRoute { get; init; }
    public string? HealthCheckType { get; init; }
    public string? HealthCheckHttpEndpoint { get; init; }
    /// <summary>Seconds an instance has to pass its health check after it starts.</summary>
    public int? Timeout { get; init; }
    public string? Stack { get; init; }
    public IReadOnlyList<VolumeMount>? Volumes { get; init; }

    /// <summary>The line of the app's entry (its '-'), 0 when it was not read from a file.</summary>
    public int Line { get; init; }
    public IReadOnlyDictionary<string, int> Lines { get; init; } = new Dictionary<string, int>();

    /// <summary>The line of <paramref name="key"/>, else of the app.</summary>
    public int LineOf(string key) => Lines.TryGetValue(key, out var line) ? line : Line;
}

/// <summary>The keys of an app in a manifest, as Cloud Foundry spells them.</summary>
public static class ManifestKeys
{
    public const string Applications = "applications";
    public const string Version = "version";
    public const string Name = "name";
    public const string Path = "path";
    public const string Instances = "instances";
    public const string Memory = "memory";
    public const string DiskQuota = "disk_quota";
    public const string Buildpacks = "buildpacks";
    public const string Buildpack = "buildpack";
    public const string Command = "command";
    public const string Env = "env";
    public const string Routes = "routes";
    public const string Route = "route";
    public const string Protocol = "protocol";
    public const string NoRoute = "no-route";
    public const string RandomRoute = "random-route";
    public const string HealthCheckType = "health-check-type";
    public const string HealthCheckHttpEndpoint = "health-check-http-endpoint";
    public const string Timeout = "timeout";
    public const string Stack = "stack";
    public const string Volumes = "volumes";

    public static readonly IReadOnlySet<string> AppKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        Name, Path, Instances, Memory, DiskQuota, Buildpacks, Buildpack, Command, Env, Routes, NoRoute, RandomRoute,
        HealthCheckType, HealthCheckHttpEndpoint, Timeout, Stack, Volumes,
    };
}
