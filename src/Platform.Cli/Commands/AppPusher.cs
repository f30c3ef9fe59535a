using Platform.Cli.Http;
using Platform.Cli.Output;
using Platform.Cli.Packaging;
using Platform.Contracts.Api;

namespace Platform.Cli.Commands;

/// <summary>
/// Brings one app's bits and state in line after its settings were applied: uploads only when its files differ from
/// the package its droplet came from (and then only the contents the platform lacks), stages only a new package,
/// starts a stopped app, restarts a started one only when it has a new droplet or its instances run older settings,
/// and otherwise says there is nothing to do.
/// </summary>
internal sealed class AppPusher(PlatApiClient api, CliEnvironment env)
{
    /// <summary>What the push did to the app: nothing at all (true when it was already as asked), or its new state.</summary>
    public async Task<bool> PushAsync(PushTarget target, AppBits bits, ManifestAppResult applied, bool noStart, DeploymentRequest deployment,
        TimeSpan wait, CancellationToken ct)
    {
        var name = target.App.Name;
        var detail = await api.AppAsync(name, ct);
        var newBits = detail.App.PackageFingerprint != bits.Fingerprint;
        if (newBits)
        {
            await UploadAsync(name, bits, ct);
            await StageAsync(name, ct);
        }
        else env.Out.WriteLine($"Files of {name} unchanged ({bits.Files} files, {Format.Bytes(bits.TotalBytes)}): nothing to upload or stage.");

        if (noStart)
        {
            env.Out.WriteLine();
            AppSummary.Write(env.Out, await api.AppAsync(name, ct));
            return !newBits && applied.Changes.Count == 0;
        }
        var started = detail.App.State == "STARTED";
        var running = detail.InstanceDetails.Count(i => i.State == "RUNNING");
        if (started && !newBits && applied.Changes.Count == 0 && !applied.RestartRequired && running >= detail.App.Instances)
        {
            env.Out.WriteLine($"App {name} is up to date: same settings, same files, {running}/{detail.App.Instances} instances running. Nothing to do.");
            return true;
        }
        AppDetailResponse done;
        if (started && (newBits || applied.RestartRequired))
        {
            // It serves: roll the new revision out, old instances serving until new ones pass their health check.
            env.Out.WriteLine($"Deploying app {name} ({(newBits ? "new droplet" : "its instances run older settings")})...");
            done = await DeploymentWaiter.DeployAsync(api, env, name, deployment, wait, ct);
        }
        else
        {
            if (!started)
            {
                env.Out.WriteLine($"Starting app {name}...");
                await api.StartAsync(name, ct);
            }
            done = await AppWaiter.WaitRunningAsync(api, env, name, wait, ct);
        }
        env.Out.WriteLine();
        AppSummary.Write(env.Out, done);
        return false;
    }

    /// <summary>The contents the platform lacks, one per digest (equal files are sent once).</summary>
    public async Task<List<PackageResource>> MissingAsync(AppBits bits, CancellationToken ct)
    {
        var files = bits.Resources.Where(r => !r.IsDirectory).ToList();
        var asked = files.Select(r => new ResourceDigest(r.Digest!, r.Size)).DistinctBy(r => r.Digest).ToList();
        var known = (await api.ResourceMatchAsync(asked, ct)).Resources.Select(r => r.Digest).ToHashSet(StringComparer.Ordinal);
        return files.Where(r => !known.Contains(r.Digest!)).DistinctBy(r => r.Digest).ToList();
    }

    private async Task UploadAsync(string name, AppBits bits, CancellationToken ct)
    {
        var missing = await MissingAsync(bits, ct);
        var temp = Path.Combine(Path.GetTempPath(), $"plat-bits-{Guid.NewGuid():N}.zip");
        try
        {
            PackageResponse package;
            long sent = 0;
            if (missing.Count == 0)
                package = await api.UploadResourcesAsync(name, bits.Resources, null, ct);
            else
            {
                await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                    bits.WriteBits(missing, file);
                sent = new FileInfo(temp).Length;
                var progress = new UploadProgress(env.Err, sent, env.ErrIsTerminal);
                await using var stream = new ProgressStream(File.OpenRead(temp), progress.Report);
                package = await api.UploadResourcesAsync(name, bits.Resources, stream, ct);
                progress.Done();
            }
            env.Out.WriteLine($"Uploaded {Format.Bytes(sent)} for {name}: {missing.Count} of {bits.Files} files sent, the platform had the rest " +
                $"({Format.Bytes(bits.TotalBytes)} in all; package {package.Digest[..19]}..., {Format.Bytes(package.SizeBytes)}).");
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private async Task StageAsync(string name, CancellationToken ct)
    {
        var lastLogId = await StagingFollower.LatestLogIdAsync(api, name, ct);
        env.Out.WriteLine($"Staging app {name} and tracing logs...");
        var build = await api.CreateBuildAsync(name, ct);
        var done = await StagingFollower.FollowAsync(api, env, name, build.Id, lastLogId, TimeSpan.FromMinutes(15), ct);
        if (done.State == "FAILED")
            throw new CliException($"staging failed: {done.Error ?? "no reason given"}");
        env.Out.WriteLine($"Staged with buildpack {done.Buildpack ?? "(unknown)"}.");
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
