using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Sandbox;
using Platform.Staging.Buildpacks;

namespace Platform.Staging.Lifecycle;

/// <summary>
/// Runs buildpack scripts (every bin/detect in one container, then bin/supply, ...) in short-lived staging containers: the
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
        CancellationToken cancellationToken)
    {
        var stdout = new List<string>();
        var exit = await RunContainerAsync(context, step, [$"{LifecyclePaths.Buildpack(buildpack.Name)}/bin/{step}", .. arguments], [buildpack],
            (stream, line) =>
            {
                if (captureStdout && stream == "OUT")
                    lock (stdout) stdout.Add(line);
                else
                    output(line);
            }, buildpack.Name, cancellationToken);
        lock (stdout) return new LifecycleStepResult(exit, stdout.ToArray());
    }

    /// <summary>
    /// Runs bin/detect of each candidate, in order, in one container, and stops at the first that detects (exits
    /// 0), as Cloud Foundry's detector does. A detect that exits <see cref="Detection.FallbackExitCode"/> claims the app
    /// only if no buildpack in the order detects it (the staticfile buildpack does so for a bare index.html). One
    /// container rather than one per candidate: an app that the sixth buildpack in the order detects costs one sandbox
    /// start, not six. The first line a detect prints on stdout is its reason, shown to the user; the rest of what
    /// the detect scripts print goes to the platform's debug log.
    /// </summary>
    /// <returns>The detecting buildpack and why, or null when none did.</returns>
    public async Task<Detection?> DetectAsync(LifecycleContext context, IReadOnlyList<Buildpack> candidates, CancellationToken cancellationToken)
    {
        if (candidates.Count == 0) return null;
        // Each script's stdout is captured and only its first line, cut to printable ASCII, is passed on, so stdout
        // carries only the loop's verdicts, each tagged with a fresh nonce so that nothing a script prints is
        // mistaken for one. (Buildpacks are the operator's code and trusted; the app's files, which they read, are
        // not, and cannot reach the verdicts.)
        var nonce = Guid.NewGuid().ToString("N");
        var script = $$"""
            nonce=$1; shift
            for bp do
              reason=$("/tmp/buildpacks/$bp/bin/detect" /tmp/app </dev/null)
              code=$?
              reason=$(printf '%s\n' "$reason" | head -n 1 | tr -cd '[:print:]' | cut -c1-{{MaxReasonLength}})
              echo "$nonce $bp $code $reason"
              [ "$code" -eq 0 ] && exit 0
            done
            exit 1
            """;
        var verdicts = new Dictionary<string, (int Code, string Reason)>(StringComparer.Ordinal);
        var names = string.Join(", ", candidates.Select(b => b.Name));
        var exit = await RunContainerAsync(context, "detect", ["/bin/sh", "-c", script, "detect", nonce, .. candidates.Select(b => b.Name)], candidates,
            (stream, line) =>
            {
                var parts = line.Split(' ', 4);
                if (stream == "OUT" && parts.Length >= 3 && parts[0] == nonce && int.TryParse(parts[2], out var code))
                    lock (verdicts) verdicts[parts[1]] = (code, parts.Length == 4 ? parts[3].Trim() : "");
                else
                    logger.LogDebug("detect of build {BuildId}: {Line}", context.BuildId, line);
            }, names, cancellationToken);
        lock (verdicts)
        {
            // The loop itself did not run (no /bin/sh in the stack, killed...): that is not "nothing detected".
            if (verdicts.Count == 0)
                throw new StagingFailedException($"running the buildpacks' bin/detect ({names}) failed: {exit}");
            logger.LogInformation("build {BuildId} detect: {Verdicts}", context.BuildId,
                string.Join(", ", verdicts.Select(v => $"{v.Key} {(v.Value.Code == 0 ? "yes" : v.Value.Code == Detection.FallbackExitCode ? "fallback" : $"no ({v.Value.Code})")}")));
            return Detection.Choose(candidates, verdicts);
        }
    }

    /// <summary>Longest detect reason passed on to the user.</summary>
    private const int MaxReasonLength = 200;

    private async Task<ContainerExit> RunContainerAsync(
        LifecycleContext context, string step, IReadOnlyList<string> args, IEnumerable<Buildpack> buildpacks,
        OutputLineHandler onLine, string what, CancellationToken cancellationToken)
    {
        var id = $"{StagingJanitor.ContainerPrefix}{context.BuildId.ToString("N")[..8]}-{step}";
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
        };
        mounts.AddRange(buildpacks.Select(b => new BindMount(b.Directory, LifecyclePaths.Buildpack(b.Name), ReadOnly: true)));
        if (networked && _options.TrustedCertificatesFile is { Length: > 0 } certificates && File.Exists(certificates))
        {
            mounts.Add(new BindMount(certificates, LifecyclePaths.SystemCertificates + "/ca-certificates.crt", ReadOnly: true));
            env["CF_SYSTEM_CERT_PATH"] = LifecyclePaths.SystemCertificates;
        }
        var spec = new ContainerSpec
        {
            Id = id,
            Layers = context.Layers,
            Args = args,
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

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.StepTimeout);
        try
        {
            // A container of the same name may be left from a crashed attempt at this build: clear it first.
            await sandbox.DestroyAsync(id, TimeSpan.Zero, cancellationToken);
            var container = await sandbox.StartAsync(spec, onLine, timeout.Token);
            return await container.Exited.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StagingFailedException($"bin/{step} of buildpack {what} did not finish within {_options.StepTimeout}");
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
