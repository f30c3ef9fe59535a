using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Sandbox;

namespace Platform.Staging.Lifecycle;

/// <summary>
/// Starts staging containers (<see cref="StagingContainer"/>): the stack as the rootfs, the container network when
/// Staging:AllowNetwork with the host's CA bundle, a memory limit, uid/gid 2000 without capabilities. A container
/// holds nothing of a build when it starts (its process only sleeps), so one can be started before a build arrives
/// (<see cref="StagingContainerPool"/>); the build's directories and buildpacks are mounted into it when the build takes
/// it, the buildpack's dependencies after detection, and every step runs in it with exec. A build costs one sandbox
/// start, as a Cloud Foundry staging task does.
/// </summary>
public sealed class LifecycleRunner(ISandbox sandbox, IOptions<StagingOptions> options, ILogger<LifecycleRunner> logger)
{
    private readonly StagingOptions _options = options.Value;

    /// <summary>The port the sandbox maps for a networked container (it networks only containers with a port); nothing listens on it.</summary>
    private const int StagingNetworkPort = 8080;

    /// <summary>The variables of every step, over the app's own.</summary>
    public IReadOnlyDictionary<string, string> BaseEnvironment => new Dictionary<string, string>
    {
        ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ["LANG"] = "C.UTF-8",
        ["CF_STACK"] = _options.StackName,
    };

    /// <summary>The memory a staging container gets for an app of <paramref name="appMemoryBytes"/>: at least Staging:MinimumMemoryMb.</summary>
    public long ContainerMemory(long appMemoryBytes) => Math.Max(appMemoryBytes, MinimumMemory);

    public long MinimumMemory => (long)_options.MinimumMemoryMb * 1024 * 1024;

    /// <summary>Starts a staging container with <paramref name="memoryBytes"/> of memory, holding no build yet.</summary>
    public async Task<StagingContainer> StartAsync(long memoryBytes, CancellationToken cancellationToken)
    {
        var id = $"{StagingJanitor.ContainerPrefix}{Guid.NewGuid().ToString("N")[..12]}";
        var env = new Dictionary<string, string>(BaseEnvironment);
        var networked = _options.AllowNetwork;
        var mounts = new List<BindMount>();
        var certificates = networked && _options.TrustedCertificatesFile is { Length: > 0 } file && File.Exists(file) ? file : null;
        if (certificates is not null)
        {
            mounts.Add(new BindMount(certificates, LifecyclePaths.SystemCertificates + "/ca-certificates.crt", ReadOnly: true));
            env["CF_SYSTEM_CERT_PATH"] = LifecyclePaths.SystemCertificates;
        }
        var spec = new ContainerSpec
        {
            Id = id,
            Layers = [Path.GetFullPath(_options.StackRootfs)],
            // The container's own process only keeps it open; every step is run in it with exec.
            Args = ["/bin/sleep", "infinity"],
            Env = env,
            WorkingDir = LifecyclePaths.App,
            Hostname = "staging",
            MemoryLimitBytes = memoryBytes,
            // Buildpacks run unprivileged (no capabilities); the directories they write belong to this user.
            User = new ContainerUser(_options.BuildUid, _options.BuildGid),
            PidsLimit = _options.BuildPidsLimit,
            Mounts = mounts,
            // npm, pip and NuGet reach their registries from supply: the container network a running app gets,
            // outbound through the bridge under the sandbox's egress policy. Its mapped port is never used.
            ContainerPort = networked ? StagingNetworkPort : null,
            // The build's directories, its buildpacks and their dependencies are mounted in once it is known.
            AcceptsLayersWhileRunning = true,
        };
        try
        {
            var container = await sandbox.StartAsync(spec, (_, line) => logger.LogDebug("staging container {Id}: {Line}", id, line), cancellationToken);
            return new StagingContainer(sandbox, id, memoryBytes, container.Exited, _options.StepTimeout, logger);
        }
        catch
        {
            await DestroyQuietlyAsync(sandbox, id, logger);
            throw;
        }
    }

    internal static async Task DestroyQuietlyAsync(ISandbox sandbox, string id, ILogger logger)
    {
        try
        {
            await sandbox.DestroyAsync(id, TimeSpan.Zero, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogError(e, "could not destroy staging container {Id}", id);
        }
    }
}
