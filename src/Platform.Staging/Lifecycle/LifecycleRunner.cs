using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Sandbox;
using Platform.Staging.Buildpacks;

namespace Platform.Staging.Lifecycle;

/// <summary>
/// Starts a build's one staging container (<see cref="StagingContainer"/>): the stack as its rootfs, the app, cache
/// and deps directories bind-mounted read-write, the candidate buildpacks read-only, the container network when
/// Staging:AllowNetwork, the app's memory (at least Staging:MinimumMemoryMb), uid/gid 2000 without capabilities. It
/// only holds the container open (its process sleeps); detect and the build steps are run in it one after another,
/// and the chosen buildpack's dependencies are added to it in between, so a build costs one sandbox start, as a
/// Cloud Foundry staging task does.
/// </summary>
public sealed class LifecycleRunner(ISandbox sandbox, IOptions<StagingOptions> options, ILogger<LifecycleRunner> logger)
{
    private readonly StagingOptions _options = options.Value;

    /// <summary>The port the sandbox maps for a networked container (it networks only containers with a port); nothing listens on it.</summary>
    private const int StagingNetworkPort = 8080;

    /// <summary>The id of a build's staging container.</summary>
    public static string ContainerId(Guid buildId) => $"{StagingJanitor.ContainerPrefix}{buildId.ToString("N")[..8]}";

    /// <param name="buildpacks">The buildpacks mounted at /tmp/buildpacks/NAME: the candidates to detect, or the one asked for.</param>
    public async Task<StagingContainer> StartAsync(LifecycleContext context, IReadOnlyList<Buildpack> buildpacks, CancellationToken cancellationToken)
    {
        var id = ContainerId(context.BuildId);
        var env = new Dictionary<string, string>(context.Env)
        {
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["HOME"] = LifecyclePaths.App,
            ["LANG"] = "C.UTF-8",
            ["CF_STACK"] = _options.StackName,
            ["MEMORY_LIMIT"] = $"{context.MemoryLimitBytes / (1024 * 1024)}m",
        };
        var networked = _options.AllowNetwork;
        var mounts = new List<BindMount>
        {
            new(context.AppDir, LifecyclePaths.App, ReadOnly: false),
            new(context.CacheDir, LifecyclePaths.Cache, ReadOnly: false),
            new(context.DepsDir, LifecyclePaths.Deps, ReadOnly: false),
        };
        mounts.AddRange(buildpacks.Select(b => new BindMount(b.Directory, LifecyclePaths.Buildpack(b.Name), ReadOnly: true)));
        if (networked && _options.TrustedCertificatesFile is { Length: > 0 } certificates && File.Exists(certificates))
        {
            mounts.Add(new BindMount(certificates, LifecyclePaths.SystemCertificates + "/ca-certificates.crt", ReadOnly: true));
            env["CF_SYSTEM_CERT_PATH"] = LifecyclePaths.SystemCertificates;
        }
        var memory = Math.Max(context.MemoryLimitBytes, (long)_options.MinimumMemoryMb * 1024 * 1024);
        var spec = new ContainerSpec
        {
            Id = id,
            Layers = [context.Stack],
            // The container's own process only keeps it open; every step is run in it with exec.
            Args = ["/bin/sleep", "infinity"],
            Env = env,
            WorkingDir = LifecyclePaths.App,
            Hostname = "staging",
            MemoryLimitBytes = memory,
            // Buildpacks run unprivileged (no capabilities); the directories they write belong to this user.
            User = new ContainerUser(_options.BuildUid, _options.BuildGid),
            PidsLimit = _options.BuildPidsLimit,
            Mounts = mounts,
            // npm, pip and NuGet reach their registries from supply: the container network a running app gets,
            // outbound through the bridge. Its mapped port is never used.
            ContainerPort = networked ? StagingNetworkPort : null,
            AcceptsLayersWhileRunning = true,
        };
        // A container of the same name may be left from a crashed attempt at this build: clear it first.
        await sandbox.DestroyAsync(id, TimeSpan.Zero, cancellationToken);
        try
        {
            var container = await sandbox.StartAsync(spec, (_, line) => logger.LogDebug("staging container {Id}: {Line}", id, line), cancellationToken);
            return new StagingContainer(sandbox, id, container.Exited, _options.StepTimeout, logger);
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
