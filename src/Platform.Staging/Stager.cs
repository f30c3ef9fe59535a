using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Blobstore;
using Platform.Contracts.Messages;
using Platform.Staging.Buildpacks;
using Platform.Staging.Dependencies;
using Platform.Staging.Layers;
using Platform.Staging.Lifecycle;
using Platform.Staging.Packages;

namespace Platform.Staging;

/// <summary>What a successful build produced.</summary>
public sealed record StagingResult(DropletSpec Droplet, string Buildpack);

/// <summary>
/// Stages one package into a droplet: unpack the package, pick a buildpack, turn its dependencies into
/// layers, run supply/finalize/release in staging containers, pack the app, and publish the outcome.
/// Output goes to the user as <see cref="StagingLog"/> lines; the end as one <see cref="StagingCompleted"/>.
/// </summary>
public sealed class Stager(
    IBlobStore blobs,
    BuildpackCatalog catalog,
    DependencyLayers dependencyLayers,
    StackLayer stackLayer,
    LayerFiles layerFiles,
    LifecycleRunner lifecycle,
    DotnetProjectPublisher dotnetPublisher,
    IMessageDispatcher dispatcher,
    IOptions<StagingOptions> options,
    TimeProvider time,
    ILogger<Stager> logger)
{
    private readonly StagingOptions _options = options.Value;

    /// <summary>
    /// Runs the build and publishes <see cref="StagingCompleted"/> either way. Returns the result for
    /// callers that want it (tests); the bus consumer ignores it. Throws only when cancelled.
    /// </summary>
    public async Task<StagingCompleted> StageAsync(StageApp request, CancellationToken cancellationToken)
    {
        var log = new StagingLogWriter(dispatcher, request.BuildId, request.AppId, time);
        var started = time.GetTimestamp();
        StagingCompleted completed;
        var buildpack = new StrongBox<string?>(null);
        try
        {
            var result = await BuildAsync(request, log, buildpack, cancellationToken);
            log.Write($"Staging complete: {result.Droplet.Layers.Count} layers, start command: {result.Droplet.StartCommand}");
            completed = new StagingCompleted(request.BuildId, request.AppId, true, null, result.Buildpack, result.Droplet);
        }
        catch (StagingFailedException e)
        {
            log.Write("Staging failed: " + e.Message);
            completed = new StagingCompleted(request.BuildId, request.AppId, false, e.Message, buildpack.Value, null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogError(e, "build {BuildId} of app {App} failed unexpectedly", request.BuildId, request.AppName);
            var message = "staging failed on the stager: " + e.Message;
            log.Write("Staging failed: " + message);
            completed = new StagingCompleted(request.BuildId, request.AppId, false, message, buildpack.Value, null);
        }
        finally
        {
            await log.CompleteAsync();
        }
        StagingMetrics.Record(time.GetElapsedTime(started), completed.Succeeded, completed.Buildpack);
        await dispatcher.DispatchAsync(completed, null, cancellationToken);
        return completed;
    }

    private async Task<StagingResult> BuildAsync(StageApp request, StagingLogWriter log, StrongBox<string?> chosen, CancellationToken ct)
    {
        var work = Path.Combine(_options.WorkDir, request.BuildId.ToString("N"));
        if (Directory.Exists(work)) Directory.Delete(work, recursive: true); // a redelivered build starts afresh
        // The app and deps directories sit where they will be in the droplet (home/vcap/...), so one pack of
        // "droplet/" makes the app layer.
        var dropletRoot = Path.Combine(work, "droplet");
        var appDir = Directory.CreateDirectory(Path.Combine(dropletRoot, "home", "vcap", "app")).FullName;
        var depsDir = Directory.CreateDirectory(Path.Combine(dropletRoot, "home", "vcap", "deps")).FullName;
        Directory.CreateDirectory(Path.Combine(depsDir, "0"));
        foreach (var dir in new[] { dropletRoot, Path.Combine(dropletRoot, "home"), Path.Combine(dropletRoot, "home", "vcap"), appDir, depsDir })
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir, (UnixFileMode)0x1ED); // 0755, whatever the umask
        // The build cache outlives the build (Cloud Foundry's CACHE_DIR): one per app on this host.
        var cacheDir = Directory.CreateDirectory(Path.Combine(_options.CacheDir, "apps", request.AppId.ToString("N"))).FullName;
        // The stack layer (packed once per machine, then checked against a walk of the rootfs: ~100 ms) is made
        // ready beside the buildpack's steps rather than after them.
        var stackPacking = Task.Run(() => stackLayer.GetAsync(log.Write, ct), ct);
        try
        {
            await UnpackPackageAsync(request, work, appDir, log, ct);
            // /home stays root's, as in the stack; /home/vcap and below belong to the build user, as in Cloud Foundry.
            await GiveToBuildUserAsync([Path.Combine(dropletRoot, "home", "vcap"), cacheDir], ct);

            var stack = stackLayer.Directory;
            var memory = (long)(request.MemoryMb > 0 ? request.MemoryMb : _options.DefaultMemoryMb) * 1024 * 1024;
            var detectContext = new LifecycleContext(request.BuildId, appDir, cacheDir, depsDir, [stack], memory, request.Env);
            var buildpack = await ChooseBuildpackAsync(request, detectContext, log, ct);
            chosen.Value = buildpack.Name;
            log.Write($"-----> Buildpack {buildpack.Name} {buildpack.Version}");
            // A .NET project is published on the host (the SDK is not in the stack) before the buildpack sees it.
            if (buildpack.Name == "dotnet" && DotnetProjectPublisher.ProjectToPublish(appDir) is { } project)
                await dotnetPublisher.PublishAsync(project, appDir, cacheDir, work, log.Write, ct);

            var dependencies = new List<DependencyLayer>();
            foreach (var dependency in buildpack.Manifest.Dependencies)
            {
                var layer = await dependencyLayers.GetAsync(dependency, log.Write, ct);
                log.Write($"-----> Dependency {dependency.Name} {dependency.Version} ({dependency.Source}), " +
                          $"layer {layer.Layer.Digest[..19]} at /layers/{dependency.Name}");
                dependencies.Add(layer);
            }

            var context = detectContext with { Layers = [stack, .. dependencies.Select(d => d.Directory)] };
            const string depsIndex = "0"; // one buildpack per build: it is the first and last
            var buildArgs = new[] { LifecyclePaths.App, LifecyclePaths.Cache, LifecyclePaths.Deps, depsIndex };
            if (buildpack.Has("supply"))
                await RunRequiredStepAsync(context, buildpack, "supply", buildArgs, log, ct);
            if (buildpack.Has("finalize"))
                await RunRequiredStepAsync(context, buildpack, "finalize", [.. buildArgs, LifecyclePaths.Profile], log, ct);
            else if (buildpack.Has("compile"))
                await RunRequiredStepAsync(context, buildpack, "compile", [LifecyclePaths.App, LifecyclePaths.Cache], log, ct);

            var startCommand = await ChooseStartCommandAsync(request, context, buildpack, appDir, log, ct);
            dependencies = await LaunchDependencies.ChooseAsync(dependencies, Path.Combine(depsDir, depsIndex), log.Write, ct);

            log.Write("-----> Packing the droplet");
            var appLayer = await layerFiles.PackAsync(dropletRoot, "", [], Path.Combine(work, "app.tar.gz"), ct);
            var stackPacked = await stackPacking;
            // Uploaded only now, after every step succeeded: a failed build stores nothing.
            await layerFiles.UploadAsync(stackPacked, ct);
            foreach (var d in dependencies) await layerFiles.UploadAsync(d.Layer, ct);
            await layerFiles.UploadAsync(appLayer, ct);

            var layers = new List<LayerRef> { new(stackPacked.Digest, stackPacked.Size, stackLayer.LayerName) };
            layers.AddRange(dependencies.Select(d => d.ToLayerRef()));
            layers.Add(new LayerRef(appLayer.Digest, appLayer.Size, "app"));
            // Full digests, so a user (or a test) can see that a restage changed nothing.
            foreach (var l in layers) log.Write($"       layer {l.Name} {l.Digest}");
            return new StagingResult(new DropletSpec(layers, startCommand), buildpack.Name);
        }
        finally
        {
            // A failed build does not wait for the stack layer; its own failure, if any, is the next build's to report.
            _ = stackPacking.ContinueWith(t => logger.LogWarning(t.Exception, "preparing the stack layer failed"),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning(e, "could not remove the work directory {Dir}", work);
            }
        }
    }

    private async Task UnpackPackageAsync(StageApp request, string work, string appDir, StagingLogWriter log, CancellationToken ct)
    {
        log.Write($"Downloading app package {request.PackageDigest[..Math.Min(19, request.PackageDigest.Length)]}");
        var zip = Path.Combine(work, "package.zip");
        try
        {
            await blobs.DownloadToFileAsync(request.PackageDigest, zip, ct);
        }
        catch (BlobNotFoundException)
        {
            throw new StagingFailedException($"the package {request.PackageDigest} is not in the blobstore; push the app again");
        }
        catch (ArgumentException e)
        {
            throw new StagingFailedException($"the package digest '{request.PackageDigest}' is not valid: {e.Message}");
        }
        var disk = (long)(request.DiskMb > 0 ? request.DiskMb : _options.DefaultDiskMb) * 1024 * 1024;
        try
        {
            await PackageExtractor.ExtractAsync(zip, appDir, disk, ct);
        }
        catch (IOException e)
        {
            throw new StagingFailedException($"the package could not be unpacked: {e.Message}", e);
        }
        File.Delete(zip);
    }

    /// <summary>Buildpacks run as an unprivileged user: it must own what they write.</summary>
    private async Task GiveToBuildUserAsync(IReadOnlyList<string> directories, CancellationToken ct)
    {
        // -h: change links themselves, never what they point at.
        var chown = await HostCommand.RunAsync("chown", ["-R", "-h", $"{_options.BuildUid}:{_options.BuildGid}", "--", .. directories],
            _options.WorkDir, TimeSpan.FromMinutes(5), ct);
        if (!chown.Succeeded) throw new InvalidOperationException("chown of the build directories failed: " + chown.Output.Trim());
    }

    private async Task<Buildpack> ChooseBuildpackAsync(StageApp request, LifecycleContext context, StagingLogWriter log, CancellationToken ct)
    {
        IReadOnlyList<Buildpack> all;
        try
        {
            all = catalog.List();
        }
        catch (InvalidDataException e)
        {
            throw new StagingFailedException("a buildpack is broken: " + e.Message, e);
        }
        if (all.Count == 0) throw new StagingFailedException($"no buildpacks are installed in {catalog.BuildpacksDir}");

        if (request.Buildpack is { Length: > 0 } wanted)
        {
            return all.FirstOrDefault(b => b.Name == wanted)
                ?? throw new StagingFailedException(
                    $"unknown buildpack '{wanted}'; known buildpacks: {string.Join(", ", all.Select(b => b.Name))}");
        }

        var detectable = all.Where(b => b.Has("detect")).ToList();
        if (await lifecycle.DetectAsync(context, detectable, ct) is { } detected) return detected;
        throw new StagingFailedException(
            $"no buildpack detected the app; tried: {string.Join(", ", detectable.Select(b => b.Name))}. " +
            "Choose one with -b NAME.");
    }

    private async Task RunRequiredStepAsync(
        LifecycleContext context, Buildpack buildpack, string step, IReadOnlyList<string> args, StagingLogWriter log, CancellationToken ct)
    {
        var result = await lifecycle.RunAsync(context, buildpack, step, args, log.Write, captureStdout: false, ct);
        if (!result.Succeeded)
            throw new StagingFailedException(
                $"bin/{step} of buildpack {buildpack.Name} failed ({result.Exit}); its output is above");
    }

    /// <summary>-c wins, then the Procfile's web: line, then the buildpack's default from bin/release.</summary>
    private async Task<string> ChooseStartCommandAsync(
        StageApp request, LifecycleContext context, Buildpack buildpack, string appDir, StagingLogWriter log, CancellationToken ct)
    {
        var release = await lifecycle.RunAsync(context, buildpack, "release", [LifecyclePaths.App], log.Write, captureStdout: true, ct);
        if (!release.Succeeded)
            throw new StagingFailedException($"bin/release of buildpack {buildpack.Name} failed ({release.Exit})");
        var fromRelease = StartCommands.FromReleaseYaml(string.Join('\n', release.Stdout));

        var procfile = Path.Combine(appDir, "Procfile");
        var fromProcfile = File.Exists(procfile) && new FileInfo(procfile).LinkTarget is null
            ? StartCommands.FromProcfile(await File.ReadAllTextAsync(procfile, ct))
            : null;

        if (request.Command is { Length: > 0 } given && !string.IsNullOrWhiteSpace(given))
        {
            log.Write($"-----> Start command (from -c): {given}");
            return given.Trim();
        }
        if (fromProcfile is not null)
        {
            log.Write($"-----> Start command (from Procfile): {fromProcfile}");
            return fromProcfile;
        }
        if (fromRelease is not null)
        {
            log.Write($"-----> Start command (from buildpack {buildpack.Name}): {fromRelease}");
            return fromRelease;
        }
        throw new StagingFailedException(
            $"no start command: buildpack {buildpack.Name} does not provide one; push with -c 'COMMAND' " +
            "or add a Procfile with a 'web:' line");
    }

    /// <summary>A mutable slot, so the failure path can still name the buildpack chosen before it failed.</summary>
    private sealed class StrongBox<T>(T value)
    {
        public T Value { get; set; } = value;
    }
}
