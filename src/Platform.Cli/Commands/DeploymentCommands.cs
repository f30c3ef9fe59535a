using System.CommandLine;
using System.Text.Json;
using Platform.Cli.Output;
using Platform.Contracts.Api;

namespace Platform.Cli.Commands;

/// <summary>The flags every command that rolls instances over shares: --strategy, --max-in-flight.</summary>
internal static class DeploymentOptions
{
    public static Option<string?> Strategy() => new("--strategy")
    {
        HelpName = "rolling|recreate",
        Description = "rolling (default: new instances first, old ones stop once the new pass their health check) or recreate (all at once, with downtime)",
    };

    public static Option<int?> MaxInFlight() => new("--max-in-flight") { HelpName = "N", Description = "Instances replaced at a time in a rolling deployment (default 1)" };

    public static DeploymentRequest Request(ParseResult parse, Option<string?> strategy, Option<int?> maxInFlight, int? revision = null)
    {
        var s = parse.GetValue(strategy);
        if (s is not (null or "rolling" or "recreate")) throw new CliException($"--strategy must be rolling or recreate, not '{s}'");
        if (parse.GetValue(maxInFlight) is < 1 or > 100) throw new CliException("--max-in-flight must be between 1 and 100");
        return new DeploymentRequest(s, parse.GetValue(maxInFlight), revision);
    }
}

/// <summary>restage, rollback, cancel-deployment, revisions.</summary>
internal static class DeploymentCommands
{
    public static IEnumerable<Command> All(CliEnvironment env) => [Restage(env), Rollback(env), Cancel(env), Revisions(env)];

    private static Command Restage(CliEnvironment env)
    {
        var name = CommandSupport.AppNameArgument();
        var timeout = AppCommands.TimeoutOption();
        var (strategy, maxInFlight) = (DeploymentOptions.Strategy(), DeploymentOptions.MaxInFlight());
        var command = new Command("restage", "Stage the app's current package again and roll the new droplet out") { name, timeout, strategy, maxInFlight };
        command.SetRun(env, async (parse, ct) =>
        {
            var app = parse.GetValue(name)!;
            using var api = CommandSupport.LoggedInClient(env);
            var before = await api.AppAsync(app, ct);
            var lastLogId = await StagingFollower.LatestLogIdAsync(api, app, ct);
            env.Out.WriteLine($"Restaging app {app}...");
            var build = await api.CreateBuildAsync(app, ct);
            var done = await StagingFollower.FollowAsync(api, env, app, build.Id, lastLogId, TimeSpan.FromMinutes(15), ct);
            if (done.State == "FAILED") throw new CliException($"staging failed: {done.Error ?? "no reason given"}");
            env.Out.WriteLine($"Staged with buildpack {done.Buildpack ?? "(unknown)"}.");
            if (before.App.State != "STARTED")
            {
                env.Out.WriteLine($"App {app} is stopped: the new droplet runs at the next start.");
                return 0;
            }
            var detail = await DeploymentWaiter.DeployAsync(api, env, app, DeploymentOptions.Request(parse, strategy, maxInFlight),
                TimeSpan.FromSeconds(parse.GetValue(timeout)), ct);
            env.Out.WriteLine();
            AppSummary.Write(env.Out, detail);
            return 0;
        });
        return command;
    }

    private static Command Rollback(CliEnvironment env)
    {
        var name = CommandSupport.AppNameArgument();
        var version = new Option<int>("--version") { HelpName = "N", Description = "The revision to go back to (plat revisions APP lists them)", Required = true };
        var timeout = AppCommands.TimeoutOption();
        var (strategy, maxInFlight) = (DeploymentOptions.Strategy(), DeploymentOptions.MaxInFlight());
        var command = new Command("rollback", "Deploy an earlier revision again (rolling by default)") { name, version, timeout, strategy, maxInFlight };
        command.SetRun(env, async (parse, ct) =>
        {
            var app = parse.GetValue(name)!;
            using var api = CommandSupport.LoggedInClient(env);
            env.Out.WriteLine($"Rolling app {app} back to revision {parse.GetValue(version)}...");
            var detail = await DeploymentWaiter.DeployAsync(api, env, app, DeploymentOptions.Request(parse, strategy, maxInFlight, parse.GetValue(version)),
                TimeSpan.FromSeconds(parse.GetValue(timeout)), ct);
            env.Out.WriteLine();
            AppSummary.Write(env.Out, detail);
            return 0;
        });
        return command;
    }

    private static Command Cancel(CliEnvironment env)
    {
        var name = CommandSupport.AppNameArgument();
        var command = new Command("cancel-deployment", "Cancel the app's deployment in progress: back to the revision that ran before") { name };
        command.SetRun(env, async (parse, ct) =>
        {
            var app = parse.GetValue(name)!;
            using var api = CommandSupport.LoggedInClient(env);
            var canceled = await api.CancelDeploymentAsync(app, ct);
            env.Out.WriteLine($"Canceled the deployment of revision {canceled.Revision} of {app}: going back to revision {canceled.PreviousRevision}. OK");
            return 0;
        });
        return command;
    }

    private static Command Revisions(CliEnvironment env)
    {
        var name = CommandSupport.AppNameArgument();
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var command = new Command("revisions", "List an app's revisions: what made each, which is deployed") { name, json };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = CommandSupport.LoggedInClient(env);
            var revisions = await api.RevisionsAsync(parse.GetValue(name)!, ct);
            if (parse.GetValue(json)) env.Out.WriteLine(JsonSerializer.Serialize(revisions, AppCommands.Json));
            else if (revisions.Count == 0) env.Out.WriteLine("No revisions yet: push the app first.");
            else Table.Write(env.Out, ["revision", "description", "deployed", "created", "droplet"], revisions.Select(r => (IReadOnlyList<string>)
                [r.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) + (r.Newest ? " (newest)" : ""), r.Description,
                 r.Deployed ? "yes" : "", Format.Time(r.CreatedAt), r.DropletKept ? "kept" : "released"]));
            return 0;
        });
        return command;
    }
}
