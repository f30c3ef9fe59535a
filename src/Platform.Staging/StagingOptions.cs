namespace Platform.Staging;

/// <summary>The "Staging" configuration section.</summary>
public sealed class StagingOptions
{
    public const string SectionName = "Staging";

    /// <summary>
    /// The stack's root filesystem (debootstrap --variant=minbase bookworm), built once per machine by
    /// deploy/lib.sh. It is packed into a layer once; the digest is cached beside it.
    /// </summary>
    public string StackRootfs { get; set; } = "/var/lib/platform/stacks/bookworm";

    /// <summary>The stack's name, as apps and droplets show it ("stack:bookworm").</summary>
    public string StackName { get; set; } = "bookworm";

    /// <summary>
    /// Where the packed stack layer and its digest are kept. Null means beside <see cref="StackRootfs"/>
    /// (&lt;rootfs&gt;.layer.tar.gz and &lt;rootfs&gt;.layer.json).
    /// </summary>
    public string? StackLayerCacheDir { get; set; }

    /// <summary>
    /// Directory holding one directory per buildpack. Null means the repository's buildpacks/ directory,
    /// found by walking up from the application's base directory.
    /// </summary>
    public string? BuildpacksDir { get; set; }

    /// <summary>The order in which buildpacks detect when the app names none.</summary>
    public List<string> BuildpackOrder { get; set; } = ["staticfile", "java", "nodejs", "python", "dotnet", "binary"];

    /// <summary>
    /// Whether the staging container gets an outbound network (its own network namespace on the sandbox bridge,
    /// masqueraded when Sandbox:Network:AllowOutbound, under the sandbox's egress policy), so that e.g. npm can reach
    /// its registry. One container runs every step, so detect and release have it too. False: only loopback.
    /// </summary>
    public bool AllowNetwork { get; set; } = true;

    /// <summary>
    /// A PEM bundle of the certificate authorities the staging host trusts (e.g. its egress proxy's), bind-mounted
    /// read-only into a networked staging container at /etc/cf-system-certificates/ca-certificates.crt with
    /// CF_SYSTEM_CERT_PATH=/etc/cf-system-certificates, as Cloud Foundry gives containers its trusted system
    /// certificates. It is not part of any droplet. Empty or missing file: nothing is mounted.
    /// </summary>
    public string? TrustedCertificatesFile { get; set; } = "/etc/ssl/certs/ca-certificates.crt";

    /// <summary>How often the stager advertises its buildpacks and stacks to the API (StagerCatalogAdvertised).</summary>
    public TimeSpan AdvertiseInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The npm client on the staging host that fetches "npm:" dependencies (npm pack).</summary>
    public string NpmPath { get; set; } = "npm";

    /// <summary>The staging host's .NET installation that "host-dotnet" (runtime) and "host-dotnet-sdk" dependencies are copied from.</summary>
    public string HostDotnetRoot { get; set; } = "/usr/share/dotnet";


    /// <summary>
    /// Host-side caches: downloaded .deb files keyed by sha256, dependency layers keyed by the .deb's sha256,
    /// packed layer files. Shared by every build on this machine.
    /// </summary>
    public string CacheDir { get; set; } = "/var/lib/platform/staging/cache";

    /// <summary>Where each build's working directories (app, deps, cache) are made and removed afterwards.</summary>
    public string WorkDir { get; set; } = "/var/lib/platform/staging/work";

    /// <summary>The app's memory when it asks for none: MEMORY_LIMIT during staging.</summary>
    public int DefaultMemoryMb { get; set; } = 1024;

    /// <summary>
    /// The least memory a staging container gets, whatever the app's limit (Cloud Foundry's minimum_staging_memory_mb):
    /// npm, pip and MSBuild need more than a small app runs in. MEMORY_LIMIT stays the app's, for buildpacks that size
    /// the app by it.
    /// </summary>
    public int MinimumMemoryMb { get; set; } = 1024;

    /// <summary>
    /// Whether one staging container (of <see cref="MinimumMemoryMb"/>) is kept started ahead of the next build, so a
    /// build does not wait for a sandbox start. It holds nothing of any build until one takes it.
    /// </summary>
    public bool SpareContainer { get; set; } = true;

    /// <summary>
    /// Largest unpacked package, in megabytes, when the app gives no disk quota; a package that unpacks
    /// to more is rejected (a guard against zip bombs).
    /// </summary>
    public int DefaultDiskMb { get; set; } = 4096;

    /// <summary>
    /// The user buildpacks run as in staging containers (Cloud Foundry's vcap is 2000). The app, deps and
    /// cache directories are given to this user, so the app layer's files belong to it as well.
    /// </summary>
    public uint BuildUid { get; set; } = 2000;
    public uint BuildGid { get; set; } = 2000;

    /// <summary>Most processes a staging container may have.</summary>
    public long BuildPidsLimit { get; set; } = 1024;

    /// <summary>Longest one lifecycle step (detect, supply, finalize, release) may run (the steps after detect run as one, within this times their number).</summary>
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Longest fetching one dependency (apt-get download) may take.</summary>
    public TimeSpan DownloadTimeout { get; set; } = TimeSpan.FromMinutes(10);
}
