using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Sandbox;
using Platform.Staging.Buildpacks;

namespace Platform.Staging.Lifecycle;

/// <summary>
/// Runs one buildpack script (bin/detect, bin/supply, ...) in its own short-lived staging container: the
/// stack and dependency layers as its rootfs, the app, cache and deps directories bind-mounted read-write,
/// the buildpack read-only; only supply/finalize/compile get an outbound network (Staging:AllowNetwork). The container is always destroyed afterwards.
/// </summary>
public sealed class LifecycleRunner(ISandbox sandbox, IOptions<StagingOptions> options, ILogger<LifecycleRunner> logger)
{
    private readonly StagingOptions _options = options.Value;

    /// <summary>The port the sandbox maps for a networked staging step (the sandbox networks only containers with a port).</summary>
    private const int StagingNetworkPort = 8080;

    /// <param name="step">The script's name under bin/; also names the container.</param>
    /// <param name="output">Receives every line, unless <paramref name="captureStdout"/> keeps stdout back.</param>
    public async Task<LifecycleStepResult> RunAsync(
        LifecycleContext context,
        Buildpack buildpack,
        string step,
        IReadOnlyList<string> arguments,
        Action<string> output,
        bool captureStdout,
        CancellationToken cancellationToken,
        string? containerSuffix = null)
    {
        var id = $"{StagingJanitor.ContainerPrefix}{context.BuildId.ToString("N")[..8]}-{step}{containerSuffix}";
        var buildpackPath = LifecyclePaths.Buildpack(buildpack.Name);
        var env = new Dictionary<string, string>(context.Env)
        {
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["HOME"] = LifecyclePaths.App,
            ["LANG"] = "C.UTF-8",
            ["CF_STACK"] = _options.StackName,
            ["MEMORY_LIMIT"] = $"{context.MemoryLimitBytes / (1024 * 1024)}m",
        };
        var networked = _options.AllowNetwork && step is "supply" or "finalize" or "compile";
        var mounts = new List<BindMount>
        {
            new(context.AppDir, LifecyclePaths.App, ReadOnly: false),
            new(context.CacheDir, LifecyclePaths.Cache, ReadOnly: false),
            new(context.DepsDir, LifecyclePaths.Deps, ReadOnly: false),
            new(buildpack.Directory, buildpackPath, ReadOnly: true),
        };
        if (networked && _options.TrustedCertificatesFile is { Length: > 0 } certificates && File.Exists(certificates))
        {
            mounts.Add(new BindMount(certificates, LifecyclePaths.SystemCertificates + "/ca-certificates.crt", ReadOnly: true));
            env["CF_SYSTEM_CERT_PATH"] = LifecyclePaths.SystemCertificates;
        }
        var spec = new ContainerSpec
        {
            Id = id,
            Layers = context.Layers,
            Args = [$"{buildpackPath}/bin/{step}", .. arguments],
            Env = env,
            WorkingDir = LifecyclePaths.App,
            Hostname = "staging",
            MemoryLimitBytes = context.MemoryLimitBytes,
            // Buildpacks run unprivileged (no capabilities); the directories they write belong to this user.
            User = new ContainerUser(_options.BuildUid, _options.BuildGid),
            PidsLimit = _options.BuildPidsLimit,
            Mounts = mounts,
            // Only the build steps may reach out (npm install...): they get the container network a running app
            // gets, outbound through the bridge. Its mapped port is never used: nothing listens in a staging step.
            ContainerPort = networked ? StagingNetworkPort : null,
        };

        var stdout = new List<string>();
        void OnLine(string stream, string line)
        {
            if (captureStdout && stream == "OUT")
                lock (stdout) stdout.Add(line);
            else
                output(line);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.StepTimeout);
        try
        {
            // A container of the same name may be left from a crashed attempt at this build: clear it first.
            await sandbox.DestroyAsync(id, TimeSpan.Zero, cancellationToken);
            var container = await sandbox.StartAsync(spec, OnLine, timeout.Token);
            var exit = await container.Exited.WaitAsync(timeout.Token);
            lock (stdout) return new LifecycleStepResult(exit, stdout.ToArray());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StagingFailedException($"bin/{step} of buildpack {buildpack.Name} did not finish within {_options.StepTimeout}");
        }
        finally
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
}
