using System.Text;
using Microsoft.Extensions.Logging;
using Platform.Sandbox;
using Platform.Sandbox.Exec;
using Platform.Staging.Buildpacks;

namespace Platform.Staging.Lifecycle;

/// <summary>
/// A build's one staging container, already running: the build's directories and buildpacks mounted in it, every
/// bin/detect in it (one exec), then the chosen buildpack's dependencies added to its rootfs, then its supply, finalize
/// (or compile) and release (one exec). Destroyed once, at the end: a container serves one build only. Each exec's verdicts and step boundaries are lines on its stdout tagged with a fresh nonce; what the
/// buildpack's scripts print goes to stderr, so nothing they print is taken for one. (A build's own code, npm's
/// install scripts or an MSBuild target, could read the nonce from /proc and forge its build's outcome: that gains
/// it nothing, it already decides what its droplet holds.)
/// </summary>
public sealed class StagingContainer(ISandbox sandbox, string id, long memoryBytes, Task<ContainerExit> exited, TimeSpan stepTimeout, ILogger logger)
    : IAsyncDisposable
{
    private Task? _destroy;
    private IReadOnlyDictionary<string, string>? _environment;

    public string Id => id;

    /// <summary>The container's memory limit.</summary>
    public long MemoryBytes => memoryBytes;

    /// <summary>Whether its process still runs (a janitor, or a crash, may have ended it while it waited for a build).</summary>
    public bool IsRunning => !exited.IsCompleted && _destroy is null;

    /// <summary>
    /// Gives the container to one build: mounts its app, cache and deps directories (read-write) and its buildpacks
    /// (read-only) where Cloud Foundry's lifecycle has them, and sets the variables every step gets: the app's, then
    /// HOME, MEMORY_LIMIT (the app's, for buildpacks that size the app by it) and <paramref name="baseEnvironment"/>.
    /// </summary>
    public async Task PrepareAsync(LifecycleContext context, IReadOnlyList<Buildpack> buildpacks, IReadOnlyDictionary<string, string> baseEnvironment,
        CancellationToken cancellationToken)
    {
        var mounts = new List<BindMount>
        {
            new(context.AppDir, LifecyclePaths.App, ReadOnly: false),
            new(context.CacheDir, LifecyclePaths.Cache, ReadOnly: false),
            new(context.DepsDir, LifecyclePaths.Deps, ReadOnly: false),
        };
        mounts.AddRange(buildpacks.Select(b => new BindMount(b.Directory, LifecyclePaths.Buildpack(b.Name), ReadOnly: true)));
        await sandbox.AddMountsAsync(id, mounts, cancellationToken);
        var environment = new Dictionary<string, string>(context.Env)
        {
            ["HOME"] = LifecyclePaths.App,
            ["MEMORY_LIMIT"] = $"{context.MemoryLimitBytes / (1024 * 1024)}m",
        };
        foreach (var (name, value) in baseEnvironment) environment[name] = value;
        _environment = environment;
    }

    /// <summary>Longest detect reason passed on to the user.</summary>
    private const int MaxReasonLength = 200;

    /// <summary>
    /// Runs bin/detect of each candidate, in order, and stops at the first that detects (exits 0), as Cloud Foundry's
    /// detector does. A detect that exits <see cref="Detection.FallbackExitCode"/> claims the app only if no buildpack
    /// in the order detects it (the staticfile buildpack does so for a bare index.html). The first line a detect prints
    /// on stdout is its reason, shown to the user; the rest of what the detect scripts print goes to the platform's
    /// debug log.
    /// </summary>
    /// <returns>The detecting buildpack and why, or null when none did.</returns>
    public async Task<Detection?> DetectAsync(IReadOnlyList<Buildpack> candidates, CancellationToken cancellationToken)
    {
        if (candidates.Count == 0) return null;
        var nonce = Guid.NewGuid().ToString("N");
        // Each script's stdout is captured and only its first line is passed on (cut with the shell's own expansion:
        // no process per buildpack beyond its detect).
        var script = $$"""
            nonce=$1; shift
            nl='
            '
            for bp do
              reason=$("{{LifecyclePaths.Buildpack("$bp")}}/bin/detect" {{LifecyclePaths.App}} </dev/null)
              code=$?
              echo "$nonce $bp $code ${reason%%"$nl"*}"
              [ "$code" -eq 0 ] && exit 0
            done
            exit 1
            """;
        var verdicts = new Dictionary<string, (int Code, string Reason)>(StringComparer.Ordinal);
        var names = string.Join(", ", candidates.Select(b => b.Name));
        var exit = await ExecAsync(["/bin/sh", "-c", script, "detect", nonce, .. candidates.Select(b => b.Name)], (stream, line) =>
        {
            var parts = line.Split(' ', 4);
            if (stream == ExecStream.Stdout && parts.Length >= 3 && parts[0] == nonce && int.TryParse(parts[2], out var code))
                verdicts[parts[1]] = (code, parts.Length == 4 ? Printable(parts[3]) : "");
            else
                logger.LogDebug("detect in {Id}: {Line}", id, line);
        }, stepTimeout, "bin/detect", cancellationToken);
        // The loop itself did not run (no /bin/sh in the stack, killed...): that is not "nothing detected".
        if (verdicts.Count == 0)
            throw new StagingFailedException($"running the buildpacks' bin/detect ({names}) failed: exit {exit}");
        logger.LogInformation("{Id} detect: {Verdicts}", id, string.Join(", ", verdicts.Select(v =>
            $"{v.Key} {(v.Value.Code == 0 ? "yes" : v.Value.Code == Detection.FallbackExitCode ? "fallback" : $"no ({v.Value.Code})")}")));
        return Detection.Choose(candidates, verdicts);
    }

    /// <summary>A detect's reason as the user sees it: printable characters only, at most <see cref="MaxReasonLength"/>.</summary>
    private static string Printable(string reason)
    {
        var kept = new string(reason.Where(c => !char.IsControl(c)).ToArray()).Trim();
        return kept.Length <= MaxReasonLength ? kept : kept[..MaxReasonLength];
    }

    /// <summary>Adds layer directories (bottom first) to the container's rootfs: the buildpack's dependencies.</summary>
    public Task AddLayersAsync(IReadOnlyList<string> layers, CancellationToken cancellationToken) =>
        layers.Count == 0 ? Task.CompletedTask : sandbox.AddLayersAsync(id, layers, cancellationToken);

    /// <summary>
    /// Runs <paramref name="steps"/> of <paramref name="buildpack"/> (supply, finalize, compile, release: those it has)
    /// in order with Cloud Foundry's arguments, stopping at the first that fails. Everything they print goes to
    /// <paramref name="output"/>, but release's stdout, which is returned.
    /// </summary>
    public async Task<BuildResult> BuildAsync(Buildpack buildpack, IReadOnlyList<string> steps, Action<string> output, CancellationToken cancellationToken)
    {
        if (steps.Count == 0) return new BuildResult([], null);
        var nonce = Guid.NewGuid().ToString("N");
        const string build = "/tmp/app /tmp/cache /tmp/deps 0";
        var script = $$"""
            nonce=$1; bin=$2/bin; shift 2
            for step do
              echo "$nonce start $step"
              case $step in
                supply) "$bin/supply" {{build}} </dev/null 1>&2 ;;
                finalize) "$bin/finalize" {{build}} {{LifecyclePaths.Profile}} </dev/null 1>&2 ;;
                compile) "$bin/compile" {{LifecyclePaths.App}} {{LifecyclePaths.Cache}} </dev/null 1>&2 ;;
                release) out=$("$bin/release" {{LifecyclePaths.App}} </dev/null) ;;
              esac
              code=$?
              if [ "$step" = release ]; then
                echo "$nonce end $step $code $(printf '%s' "$out" | base64 -w0)"
              else
                echo "$nonce end $step $code"
              fi
              [ "$code" -eq 0 ] || exit 0
            done
            """;
        var results = new List<StepResult>();
        string? running = null, release = null;
        var timeout = stepTimeout * steps.Count;
        var exit = await ExecAsync(["/bin/sh", "-c", script, "build", nonce, LifecyclePaths.Buildpack(buildpack.Name), .. steps], (stream, line) =>
        {
            var parts = line.Split(' ', 5);
            if (stream == ExecStream.Stdout && parts.Length >= 3 && parts[0] == nonce)
            {
                if (parts[1] == "start") running = parts[2];
                else if (parts[1] == "end" && parts.Length >= 4 && int.TryParse(parts[3], out var code))
                {
                    results.Add(new StepResult(parts[2], code));
                    if (parts[2] == "release" && parts.Length == 5) release = DecodeBase64(parts[4]);
                    running = null;
                }
                return;
            }
            output(line);
        }, timeout, () => $"bin/{running ?? steps[0]} of buildpack {buildpack.Name}", cancellationToken);
        if (results.Count == 0 || (results[^1].Succeeded && results.Count < steps.Count))
            throw new StagingFailedException(
                $"running the steps of buildpack {buildpack.Name} failed: exit {exit}{(running is null ? "" : $" during bin/{running}")}");
        return new BuildResult(results, release);
    }

    private static string DecodeBase64(string text)
    {
        try { return Encoding.UTF8.GetString(Convert.FromBase64String(text)); }
        catch (FormatException) { return ""; }
    }

    private Task<int> ExecAsync(IReadOnlyList<string> command, Action<ExecStream, string> onLine, TimeSpan timeout, string what,
        CancellationToken cancellationToken) => ExecAsync(command, onLine, timeout, () => what, cancellationToken);

    private async Task<int> ExecAsync(IReadOnlyList<string> command, Action<ExecStream, string> onLine, TimeSpan timeout, Func<string> what,
        CancellationToken cancellationToken)
    {
        if (exited.IsCompleted)
            throw new StagingFailedException($"the staging container stopped before {what()} could run: {await exited}");
        var lines = new OutputLines(onLine);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            var exit = await sandbox.ExecAsync(id, command, _environment, lines.WriteAsync, limit.Token);
            lines.Flush();
            return exit;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StagingFailedException($"{what()} did not finish within {timeout}");
        }
    }

    /// <summary>Starts destroying the container (once); what the build still has to do need not wait for it.</summary>
    public Task DestroyAsync() => _destroy ??= LifecycleRunner.DestroyQuietlyAsync(sandbox, id, logger);

    public async ValueTask DisposeAsync() => await DestroyAsync();
}
