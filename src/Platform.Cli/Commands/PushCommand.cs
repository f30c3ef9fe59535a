using System.CommandLine;
using Platform.Cli.Http;
using Platform.Cli.Output;
using Platform.Cli.Packaging;
using Platform.Contracts;
using Platform.Contracts.Api;
using Platform.Manifests;

namespace Platform.Cli.Commands;

/// <summary>
/// `plat push [NAME]`, as cf push: reads ./manifest.yml (or -f FILE) with its ((variables)), takes NAME's app from it
/// (or every app without a NAME) with the flags over its settings, hashes each app's files, applies the settings on
/// the server (POST .../manifest: creates, updates, maps routes), then per app uploads only the contents the platform
/// lacks, stages only new files, and starts or restarts only when something changed. Pushing the same again changes
/// nothing and says so; --dry-run prints what would change and changes nothing.
/// </summary>
internal static class PushCommand
{
    public static Command Create(CliEnvironment env)
    {
        var name = new Argument<string?>("NAME") { Arity = ArgumentArity.ZeroOrOne, Description = "The app to push (default: every app of the manifest)" };
        var manifest = new Option<string?>("-f", "--manifest") { HelpName = "FILE", Description = "The manifest (default: ./manifest.yml when there is one)" };
        var noManifest = new Option<bool>("--no-manifest") { Description = "Ignore ./manifest.yml" };
        var vars = new Option<string[]>("--var") { HelpName = "NAME=VALUE", Description = "A value for the manifest's ((NAME)) (repeatable; wins over --vars-file)" };
        var varsFiles = new Option<string[]>("--vars-file") { HelpName = "FILE", Description = "A YAML file of values for the manifest's ((variables)) (repeatable)" };
        var instances = CommandSupport.InstancesOption("Number of instances (0 to 100; default 1 for a new app)");
        var memory = CommandSupport.SizeOption("-m", "--memory", "Memory limit per instance, e.g. 256M or 1G (default 256M)");
        var disk = CommandSupport.SizeOption("-k", "--disk", "Disk limit per instance, e.g. 1G (default 1G)");
        var path = new Option<string?>("-p", "--path") { HelpName = "PATH", Description = "App directory, or a .zip/.war/.jar read entry by entry (default: the manifest's path, else the current directory)" };
        var buildpack = new Option<string?>("-b", "--buildpack") { HelpName = "BUILDPACK", Description = "Buildpack name ('default': detect)" };
        var startCommand = new Option<string?>("-c", "--command") { HelpName = "COMMAND", Description = "Start command (default: the buildpack's)" };
        var healthType = new Option<string?>("-u", "--health-check-type") { HelpName = "TYPE", Description = "port (default), http or process" };
        var endpoint = new Option<string?>("--endpoint") { HelpName = "PATH", Description = "The path the http health check GETs (default /)" };
        var timeout = new Option<int?>("-t", "--timeout") { HelpName = "SECONDS", Description = "Seconds an instance has to pass its health check (1 to 600); plat waits as long (default 180)" };
        var noRoute = new Option<bool>("--no-route") { Description = "Map no route (unmaps the app's routes)" };
        var randomRoute = new Option<bool>("--random-route") { Description = "Map a random route on the default domain to an app with none" };
        var stack = new Option<string?>("-s", "--stack") { HelpName = "STACK", Description = "The stack to stage on (plat stacks)" };
        var noStart = new Option<bool>("--no-start") { Description = "Stage the app but do not start it" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what the push would change (env values hidden), and change nothing" };
        var volume = new Option<string[]>("--volume")
        {
            HelpName = "NAME:PATH",
            Description = "Mount the named persistent volume at PATH in every instance (repeatable; replaces the app's volumes; 'none' removes them)",
        };
        var (strategy, maxInFlight) = (DeploymentOptions.Strategy(), DeploymentOptions.MaxInFlight());
        var command = new Command("push", "Push apps: apply their settings, upload what changed, stage, start (a running app is replaced rolling, without downtime)")
        {
            name, manifest, noManifest, vars, varsFiles, instances, memory, disk, path, buildpack, startCommand, healthType, endpoint,
            timeout, noRoute, randomRoute, stack, noStart, dryRun, volume, strategy, maxInFlight,
        };
        command.SetRun(env, async (parse, ct) =>
        {
            // Everything that can be checked here is checked before anything is read or sent.
            var app = parse.GetValue(name) is { } n ? CommandSupport.ValidName(n) : null;
            var flags = new PushFlags(
                CommandSupport.ValidInstances(parse.GetValue(instances)),
                CommandSupport.ValidSize(parse.GetValue(memory), "-m"),
                CommandSupport.ValidSize(parse.GetValue(disk), "-k"),
                parse.GetValue(buildpack),
                parse.GetValue(startCommand),
                ValidHealthCheckType(parse.GetValue(healthType)),
                parse.GetValue(endpoint),
                parse.GetValue(timeout),
                parse.GetValue(noRoute),
                parse.GetValue(randomRoute),
                parse.GetValue(stack),
                ValidVolumes(parse.GetValue(volume)),
                parse.GetValue(path));
            if (HealthChecks.Check(flags.HealthCheckType, flags.Endpoint, flags.Timeout) is { } healthError)
                throw new CliException($"invalid health check flags: {healthError}");
            if (flags is { NoRoute: true, RandomRoute: true }) throw new CliException("--no-route and --random-route contradict each other: give one");
            var deployment = DeploymentOptions.Request(parse, strategy, maxInFlight);

            var read = PushInputs.ReadManifest(env, parse.GetValue(manifest), parse.GetValue(noManifest),
                parse.GetValue(vars) ?? [], parse.GetValue(varsFiles) ?? []);
            var targets = PushInputs.Select(env, read, app, flags);
            var bits = new List<AppBits>();
            try
            {
                foreach (var target in targets)
                {
                    var b = target.IsArchive ? AppBits.FromArchive(target.Source) : AppBits.FromDirectory(target.Source);
                    bits.Add(b);
                    env.Err.WriteLine($"Hashed {b.Files} files ({Format.Bytes(b.TotalBytes)}) of {target.App.Name} in {target.Source}");
                }
                using var api = CommandSupport.LoggedInClient(env);
                var yaml = ManifestWriter.Write(new Manifest(targets.Select(t => t.App).ToList()));
                return parse.GetValue(dryRun)
                    ? await DryRunAsync(api, env, read?.Source, targets, bits, yaml, ct)
                    : await PushAsync(api, env, read?.Source, targets, bits, yaml, parse.GetValue(noStart), deployment, ct);
            }
            finally
            {
                foreach (var b in bits) b.Dispose();
            }
        });
        return command;
    }

    private static async Task<int> PushAsync(PlatApiClient api, CliEnvironment env, string? source, List<PushTarget> targets, List<AppBits> bits,
        string yaml, bool noStart, DeploymentRequest deployment, CancellationToken ct)
    {
        env.Out.WriteLine($"Pushing {(targets.Count == 1 ? $"app {targets[0].App.Name}" : $"{targets.Count} apps ({string.Join(", ", targets.Select(t => t.App.Name))})")} to {api.BaseUrl}...");
        var applied = await ApplyAsync(api, source, targets, yaml, dryRun: false, ct);
        foreach (var warning in applied.Warnings) env.Err.WriteLine($"warning: {warning}");
        var unchanged = 0;
        var pusher = new AppPusher(api, env);
        for (var i = 0; i < targets.Count; i++)
        {
            var target = targets[i];
            var result = applied.Apps.Single(a => a.Name == target.App.Name);
            env.Out.WriteLine(result.Created ? $"Creating app {result.Name}..." : $"Updating app {result.Name}...");
            foreach (var change in result.Changes) env.Out.WriteLine($"   {change}");
            if (!result.Created && result.Changes.Count == 0) env.Out.WriteLine("   settings unchanged");
            var wait = TimeSpan.FromSeconds(target.App.Timeout ?? (await api.AppAsync(target.App.Name, ct)).App.HealthCheck?.TimeoutSeconds ?? 180);
            if (await pusher.PushAsync(target, bits[i], result, noStart, deployment, wait, ct)) unchanged++;
        }
        if (unchanged == targets.Count)
            env.Out.WriteLine(targets.Count == 1 ? "Nothing to change: the app is as pushed." : $"Nothing to change: all {targets.Count} apps are as pushed.");
        return 0;
    }

    private static async Task<int> DryRunAsync(PlatApiClient api, CliEnvironment env, string? source, List<PushTarget> targets, List<AppBits> bits,
        string yaml, CancellationToken ct)
    {
        env.Out.WriteLine($"Dry run of a push to {api.BaseUrl}: nothing is changed.");
        var diff = await ApplyAsync(api, source, targets, yaml, dryRun: true, ct);
        foreach (var warning in diff.Warnings) env.Err.WriteLine($"warning: {warning}");
        var pusher = new AppPusher(api, env);
        var nothing = true;
        for (var i = 0; i < targets.Count; i++)
        {
            var result = diff.Apps.Single(a => a.Name == targets[i].App.Name);
            var existing = result.Created ? null : await api.FindAppAsync(result.Name, ct);
            env.Out.WriteLine(result.Created ? $"app {result.Name}: would be created" : $"app {result.Name}:");
            foreach (var change in result.Changes) env.Out.WriteLine($"   {change}");
            if (!result.Created && result.Changes.Count == 0) env.Out.WriteLine("   settings: no change");
            var newBits = existing?.App.PackageFingerprint != bits[i].Fingerprint;
            if (newBits)
            {
                var missing = await pusher.MissingAsync(bits[i], ct);
                env.Out.WriteLine($"   files: would upload {missing.Count} of {bits[i].Files} files ({Format.Bytes(missing.Sum(m => m.Size))} of {Format.Bytes(bits[i].TotalBytes)}) and stage them");
            }
            else env.Out.WriteLine("   files: no change");
            var started = existing?.App.State == "STARTED";
            var running = existing?.InstanceDetails.Count(x => x.State == "RUNNING") ?? 0;
            var action = !started ? "would start" : newBits || result.RestartRequired ? "would restart"
                : result.Changes.Count > 0 || running < existing!.App.Instances ? "would wait for its instances" : null;
            if (action is not null) env.Out.WriteLine($"   {action}");
            nothing &= !result.Created && result.Changes.Count == 0 && !newBits && action is null;
        }
        env.Out.WriteLine(nothing ? "Nothing would change." : "Run it without --dry-run to make these changes.");
        return 0;
    }

    /// <summary>Applies (or diffs) the settings; a refusal about a manifest key points at the line of the user's own file.</summary>
    private static async Task<ManifestApplyResponse> ApplyAsync(PlatApiClient api, string? source, List<PushTarget> targets, string yaml, bool dryRun, CancellationToken ct)
    {
        try
        {
            return await api.ApplyManifestAsync(yaml, dryRun, ct);
        }
        catch (ApiException e) when (e.Member("app") is { } appName && e.Member("reason") is { } reason
                                     && targets.FirstOrDefault(t => t.App.Name == appName) is { } target)
        {
            var key = e.Member("key");
            var route = e.IntMember("route");
            var where = key is null ? $"app {appName}" : $"{key} (app {appName})";
            if (source is null || target.App.Line == 0) throw new CliException($"{where}: {reason}");
            var line = route is { } r && target.App.Routes is { } routes && r < routes.Count ? routes[r].Line
                : key is null ? target.App.Line : target.App.LineOf(key);
            throw new CliException($"{source}:{line}: {where}: {reason}");
        }
    }

    private static string? ValidHealthCheckType(string? type) => type switch
    {
        null => null,
        "none" => HealthChecks.Process,
        _ when HealthChecks.Types.Contains(type) => type,
        _ => throw new CliException($"invalid -u: '{type}' is not a health check type: use port, http or process"),
    };

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
}
