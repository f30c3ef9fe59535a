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
/// layers, run detect and then supply/finalize/release in one staging container, pack the app, and publish the outcome.
/// Output goes to the user as <see cref="StagingLog"/> lines; the end as one <see cref="StagingCompleted"/>.
/// </summary>
public sealed class Stager(
    IBlobStore blobs,
    BuildpackCatalog catalog,
    DependencyLayers dependencyLayers,
    StackLayer stackLayer,
    LayerFiles layerFiles,
    LifecycleRunner lifecycle,
    StagingContainerPool containers,
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
        var clock = new PhaseClock();
        var cleanup = new StrongBox<Task>(Task.CompletedTask);
        try
        {
            var result = await BuildAsync(request, log, buildpack, clock, cleanup, cancellationToken);
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
        clock.Mark("log");
        await dispatcher.DispatchAsync(completed, null, cancellationToken);
        clock.Mark("completed");
        // The staging container and the work directory go after the outcome is out, not before; then the next build's
        // container is started.
        await cleanup.Value;
        clock.Mark("cleanup");
        containers.Refill();
        logger.LogInformation("build {BuildId} of {App} ({Outcome}): {Phases}", request.BuildId, request.AppName,
            completed.Succeeded ? "staged" : "failed", clock);
        return completed;
    }

    private async Task<StagingResult> BuildAsync(StageApp request, StagingLogWriter log, StrongBox<string?> chosen, PhaseClock clock,
        StrongBox<Task> cleanup, CancellationToken ct)
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
        Task<StagingContainer>? starting = null;
        try
        {
            var all = Catalog();
            var named = Named(request, all);
            var candidates = named is not null ? [named] : all.Where(b => b.Has("detect")).ToList();
            var memory = (long)(request.MemoryMb > 0 ? request.MemoryMb : _options.DefaultMemoryMb) * 1024 * 1024;
            var context = new LifecycleContext(request.BuildId, appDir, cacheDir, depsDir, memory, request.Env);
            // The one staging container (a spare started ahead, or one started now, while the package comes down and is
            // unpacked) gets the build's directories as bind mounts: what lands in them later is there for the steps.
            starting = containers.TakeAsync(lifecycle.ContainerMemory(memory), ct);
            await UnpackPackageAsync(request, work, appDir, log, ct);
            clock.Mark("unpack");
            // /home stays root's, as in the stack; /home/vcap and below belong to the build user, as in Cloud Foundry.
            await GiveToBuildUserAsync([Path.Combine(dropletRoot, "home", "vcap"), cacheDir], ct);
            var container = await starting;
            clock.Mark("container");
            await container.PrepareAsync(context, candidates, lifecycle.BaseEnvironment, ct);
            logger.LogDebug("build {BuildId} runs in staging container {Container}", request.BuildId, container.Id);
            clock.Mark("mounts");

            if (named is not null) log.Write($"-----> {named.Name} chosen with -b (detection skipped)");
            var buildpack = named ?? await DetectAsync(container, candidates, log, ct);
            chosen.Value = buildpack.Name;
            clock.Mark("detect");
            log.Write($"-----> Buildpack {buildpack.Name} {buildpack.Version}");

            var dependencies = new List<DependencyLayer>();
            foreach (var dependency in buildpack.Manifest.Dependencies)
            {
                var layer = await dependencyLayers.GetAsync(dependency, log.Write, ct);
                log.Write($"-----> Dependency {dependency.Name} {dependency.Version} ({dependency.Source}), " +
                          $"layer {layer.Layer.Digest[..19]} at /layers/{dependency.Name}");
                dependencies.Add(layer);
            }
            clock.Mark("dependencies");
            await container.AddLayersAsync([.. dependencies.Select(d => d.Directory)], ct);
            clock.Mark("add-layers");

            const string depsIndex = "0"; // one buildpack per build: it is the first and last
            var steps = new List<string>();
            if (buildpack.Has("supply")) steps.Add("supply");
            if (buildpack.Has("finalize")) steps.Add("finalize");
            else if (buildpack.Has("compile")) steps.Add("compile");
            steps.Add("release");
            var built = await container.BuildAsync(buildpack, steps, log.Write, ct);
            clock.Mark("steps");
            if (built.Failed is { } failed)
                throw new StagingFailedException(failed.Step == "release"
                    ? $"bin/release of buildpack {buildpack.Name} failed ({failed.Describe()})"
                    : $"bin/{failed.Step} of buildpack {buildpack.Name} failed ({failed.Describe()}); its output is above");
            // Everything that runs in the container has run: it goes while the droplet is packed.
            _ = container.DestroyAsync();

            var startCommand = await ChooseStartCommandAsync(request, buildpack, built.ReleaseOutput ?? "", appDir, log, ct);
            dependencies = await LaunchDependencies.ChooseAsync(dependencies, Path.Combine(depsDir, depsIndex), log.Write, ct);

            log.Write("-----> Packing the droplet");
            var appLayer = await layerFiles.PackAsync(dropletRoot, "", [], Path.Combine(work, "app.tar.gz"), ct);
            clock.Mark("pack");
            var stackPacked = await stackPacking;
            clock.Mark("stack-wait");
            // Uploaded only now, after every step succeeded: a failed build stores nothing.
            await layerFiles.UploadAsync(stackPacked, ct);
            foreach (var d in dependencies) await layerFiles.UploadAsync(d.Layer, ct);
            await layerFiles.UploadAsync(appLayer, ct);
            clock.Mark("upload");

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
            cleanup.Value = CleanUpAsync(starting, work);
        }
    }

    /// <summary>Destroys the build's container, then removes its work directory (the container's mounts are in it).</summary>
    private async Task CleanUpAsync(Task<StagingContainer>? starting, string work)
    {
        if (starting is not null)
        {
            try { await (await starting).DestroyAsync(); }
            catch (Exception) { /* it never started (failed or cancelled): StartAsync cleared what it made */ }
        }
        try
        {
            Directory.Delete(work, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "could not remove the work directory {Dir}", work);
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

    private IReadOnlyList<Buildpack> Catalog()
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
        return all;
    }

    /// <summary>The buildpack asked for with -b, or null to detect one.</summary>
    private static Buildpack? Named(StageApp request, IReadOnlyList<Buildpack> all)
    {
        if (request.Buildpack is not { Length: > 0 } wanted) return null;
        return all.FirstOrDefault(b => b.Name == wanted)
            ?? throw new StagingFailedException(
                $"unknown buildpack '{wanted}'; known buildpacks: {string.Join(", ", all.Select(b => b.Name))}");
    }

    private static async Task<Buildpack> DetectAsync(StagingContainer container, IReadOnlyList<Buildpack> candidates, StagingLogWriter log, CancellationToken ct)
    {
        if (await container.DetectAsync(candidates, ct) is { } detected)
        {
            log.Write(detected.LogLine());
            return detected.Buildpack;
        }
        throw new StagingFailedException(
            $"no buildpack detected the app; tried: {string.Join(", ", candidates.Select(b => b.Name))}. " +
            "Choose one with -b NAME.");
    }

    /// <summary>-c wins, then the Procfile's web: line, then the buildpack's default from bin/release.</summary>
    private static async Task<string> ChooseStartCommandAsync(
        StageApp request, Buildpack buildpack, string releaseOutput, string appDir, StagingLogWriter log, CancellationToken ct)
    {
        var fromRelease = StartCommands.FromReleaseYaml(releaseOutput);

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
