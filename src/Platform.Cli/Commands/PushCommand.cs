using System.CommandLine;
using Platform.Cli.Http;
using Platform.Cli.Output;
using Platform.Cli.Packaging;
using Platform.Contracts;
using Platform.Contracts.Api;

namespace Platform.Cli.Commands;

/// <summary>
/// `plat push NAME`: create or update the app, upload its bits, stage them while streaming the staging
/// log, then (unless --no-start) start the app and wait until every instance runs, like `cf push`.
/// </summary>
internal static class PushCommand
{
    private static readonly string[] ArchiveExtensions = [".zip", ".war", ".jar"];

    public static Command Create(CliEnvironment env)
    {
        var name = CommandSupport.AppNameArgument();
        var instances = CommandSupport.InstancesOption("Number of instances (0 to 100; default 1 for a new app)");
        var memory = CommandSupport.SizeOption("-m", "--memory", "Memory limit per instance, e.g. 256M or 1G (default 256M)");
        var disk = CommandSupport.SizeOption("-k", "--disk", "Disk limit per instance, e.g. 1G (default 1G)");
        var path = new Option<string?>("-p", "--path") { HelpName = "PATH", Description = "App directory, or a .zip/.war/.jar to upload as is (default: current directory)" };
        var buildpack = new Option<string?>("-b", "--buildpack") { HelpName = "BUILDPACK", Description = "Buildpack name (default: detect)" };
        var startCommand = new Option<string?>("-c", "--command") { HelpName = "COMMAND", Description = "Start command (default: the buildpack's)" };
        var noStart = new Option<bool>("--no-start") { Description = "Stage the app but do not start it" };
        var volume = new Option<string[]>("--volume")
        {
            HelpName = "NAME:PATH",
            Description = "Mount the named persistent volume at PATH in every instance (repeatable; replaces the app's volumes; 'none' removes them)",
        };
        var timeout = AppCommands.TimeoutOption();
        var (strategy, maxInFlight) = (DeploymentOptions.Strategy(), DeploymentOptions.MaxInFlight());
        var command = new Command("push", "Push an app: create or update it, upload, stage, start (a running app is replaced rolling, without downtime)")
        {
            name, instances, memory, disk, path, buildpack, startCommand, noStart, volume, timeout, strategy, maxInFlight,
        };
        command.SetRun(env, async (parse, ct) =>
        {
            // Everything that can be checked here is checked before anything is sent.
            var app = CommandSupport.ValidName(parse.GetValue(name));
            var request = new AppRequest(
                app,
                CommandSupport.ValidInstances(parse.GetValue(instances)),
                CommandSupport.ValidSize(parse.GetValue(memory), "-m"),
                CommandSupport.ValidSize(parse.GetValue(disk), "-k"),
                parse.GetValue(buildpack),
                parse.GetValue(startCommand),
                Volumes: ValidVolumes(parse.GetValue(volume)));
            var source = Path.GetFullPath(parse.GetValue(path) ?? Directory.GetCurrentDirectory());
            var isArchive = File.Exists(source) && ArchiveExtensions.Contains(Path.GetExtension(source).ToLowerInvariant());
            if (!isArchive && !Directory.Exists(source))
                throw new CliException(File.Exists(source)
                    ? $"-p {source}: a file must be a .zip, .war or .jar"
                    : $"-p {source}: no such file or directory");
            var wait = TimeSpan.FromSeconds(parse.GetValue(timeout));

            using var api = CommandSupport.LoggedInClient(env);
            env.Out.WriteLine($"Pushing app {app} to {api.BaseUrl}...");
            var existing = await api.FindAppAsync(app, ct);
            if (existing is null)
            {
                env.Out.WriteLine($"Creating app {app}...");
                await api.CreateAppAsync(request, ct);
            }
            else
            {
                env.Out.WriteLine($"Updating app {app}...");
                await api.UpdateAppAsync(app, request with { Name = null }, ct);
            }

            await UploadAsync(api, env, app, source, isArchive, ct);

            var lastLogId = await StagingFollower.LatestLogIdAsync(api, app, ct);
            env.Out.WriteLine("Staging app and tracing logs...");
            var build = await api.CreateBuildAsync(app, ct);
            var done = await StagingFollower.FollowAsync(api, env, app, build.Id, lastLogId, TimeSpan.FromMinutes(15), ct);
            if (done.State == "FAILED")
                throw new CliException($"staging failed: {done.Error ?? "no reason given"}");
            env.Out.WriteLine($"Staged with buildpack {done.Buildpack ?? "(unknown)"}.");

            if (parse.GetValue(noStart))
            {
                env.Out.WriteLine();
                AppSummary.Write(env.Out, await api.AppAsync(app, ct));
                return 0;
            }
            AppDetailResponse detail;
            if (existing?.App.State == "STARTED")
            {
                // It serves: roll the new droplet out, old instances serving until new ones pass their health check.
                var deployment = await api.DeployAsync(app, DeploymentOptions.Request(parse, strategy, maxInFlight), ct);
                detail = await DeploymentWaiter.WaitDeployedAsync(api, env, app, deployment.Id, wait, ct);
            }
            else
            {
                await api.StartAsync(app, ct);
                detail = await AppWaiter.WaitRunningAsync(api, env, app, wait, ct);
            }
            env.Out.WriteLine();
            AppSummary.Write(env.Out, detail);
            return 0;
        });
        return command;
    }

    /// <summary>--volume NAME:/path, repeatable; null when not given (the app's volumes stay), empty for 'none'.</summary>
    internal static List<VolumeMount>? ValidVolumes(string[]? values)
    {
        if (values is not { Length: > 0 }) return null;
        if (values is ["none"]) return [];
        var volumes = new List<VolumeMount>();
        foreach (var text in values)
            volumes.Add(Volumes.TryParse(text, out var error) ?? throw new CliException($"invalid --volume: {error}"));
        if (Volumes.CheckList(volumes) is { } listError) throw new CliException($"invalid --volume: {listError}");
        return volumes;
    }

    private static async Task UploadAsync(PlatApiClient api, CliEnvironment env, string app, string source, bool isArchive, CancellationToken ct)
    {
        string? temp = null;
        try
        {
            var archive = source;
            if (!isArchive)
            {
                temp = Path.Combine(Path.GetTempPath(), $"plat-push-{Guid.NewGuid():N}.zip");
                var entries = AppZipper.Zip(source, temp);
                env.Err.WriteLine($"Packed {entries} files and directories from {source}");
                archive = temp;
            }
            var total = new FileInfo(archive).Length;
            var progress = new UploadProgress(env.Err, total, env.ErrIsTerminal);
            await using var stream = new ProgressStream(File.OpenRead(archive), progress.Report);
            var package = await api.UploadPackageAsync(app, stream, ct);
            progress.Done();
            env.Out.WriteLine($"Uploaded {Format.Bytes(package.SizeBytes)} ({package.Digest[..19]}...).");
        }
        finally
        {
            if (temp is not null) File.Delete(temp);
        }
    }

    /// <summary>"Uploading 1.2M/3.4M (35%)" on stderr: redrawn in place on a terminal, every 25% otherwise.</summary>
    private sealed class UploadProgress(TextWriter err, long total, bool terminal)
    {
        private int _lastStep = -1;

        public void Report(long done)
        {
            var percent = total == 0 ? 100 : (int)(done * 100 / total);
            var step = terminal ? percent : percent / 25;
            if (step == _lastStep) return;
            _lastStep = step;
            var line = $"Uploading {Format.Bytes(done)}/{Format.Bytes(total)} ({percent}%)";
            if (terminal) err.Write("\r" + line);
            else err.WriteLine(line);
        }

        public void Done()
        {
            if (terminal) err.WriteLine();
        }
    }
}
