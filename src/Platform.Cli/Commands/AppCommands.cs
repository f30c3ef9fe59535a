using System.CommandLine;
using System.Text.Json;
using Platform.Cli.Output;
using Platform.Contracts.Api;

namespace Platform.Cli.Commands;

/// <summary>apps, app, scale, start, stop, restart, delete, events.</summary>
internal static class AppCommands
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Option<int> TimeoutOption() =>
        new("--timeout", "-t") { HelpName = "SECONDS", Description = "Seconds to wait for the app to start", DefaultValueFactory = _ => 180 };

    public static Command Apps(CliEnvironment env)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var command = new Command("apps", "List all apps") { json };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = CommandSupport.LoggedInClient(env);
            var apps = await api.AppsAsync(ct);
            if (parse.GetValue(json))
            {
                env.Out.WriteLine(JsonSerializer.Serialize(apps, Json));
                return 0;
            }
            if (apps.Count == 0)
            {
                env.Out.WriteLine("No apps found.");
                return 0;
            }
            Table.Write(env.Out, ["name", "requested state", "instances", "memory", "disk", "routes"],
                apps.Select(a => (IReadOnlyList<string>)
                [a.Name, a.State.ToLowerInvariant(), $"{a.RunningInstances}/{a.Instances}", Format.Megabytes(a.MemoryMb), Format.Megabytes(a.DiskMb), string.Join(", ", a.Routes)]));
            return 0;
        });
        return command;
    }

    public static Command App(CliEnvironment env)
    {
        var name = CommandSupport.AppNameArgument();
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a summary" };
        var command = new Command("app", "Show an app: state, routes, instances") { name, json };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = CommandSupport.LoggedInClient(env);
            var detail = await api.AppAsync(parse.GetValue(name)!, ct);
            if (parse.GetValue(json))
                env.Out.WriteLine(JsonSerializer.Serialize(detail, Json));
            else
                AppSummary.Write(env.Out, detail);
            return 0;
        });
        return command;
    }

    public static Command Scale(CliEnvironment env)
    {
        var name = CommandSupport.AppNameArgument();
        var instances = CommandSupport.InstancesOption("Number of instances (0 to 100)");
        var memory = CommandSupport.SizeOption("-m", "--memory", "Memory limit per instance, e.g. 256M or 1G");
        var disk = CommandSupport.SizeOption("-k", "--disk", "Disk limit per instance, e.g. 512M or 1G");
        var command = new Command("scale", "Change an app's instance count, memory or disk") { name, instances, memory, disk };
        command.SetRun(env, async (parse, ct) =>
        {
            var request = new ScaleRequest(
                CommandSupport.ValidInstances(parse.GetValue(instances)),
                CommandSupport.ValidSize(parse.GetValue(memory), "-m"),
                CommandSupport.ValidSize(parse.GetValue(disk), "-k"));
            if (request is { Instances: null, Memory: null, Disk: null })
                throw new CliException("nothing to scale: give -i, -m or -k");
            using var api = CommandSupport.LoggedInClient(env);
            var app = await api.ScaleAsync(parse.GetValue(name)!, request, ct);
            env.Out.WriteLine($"Scaled {app.Name}: {app.Instances} instance(s), memory {Format.Megabytes(app.MemoryMb)}, disk {Format.Megabytes(app.DiskMb)}. OK");
            return 0;
        });
        return command;
    }

    public static Command Restart(CliEnvironment env)
    {
        var name = CommandSupport.AppNameArgument();
        var timeout = TimeoutOption();
        var (strategy, maxInFlight) = (DeploymentOptions.Strategy(), DeploymentOptions.MaxInFlight());
        var command = new Command("restart", "Replace an app's instances: rolling (no downtime) unless --strategy recreate") { name, timeout, strategy, maxInFlight };
        command.SetRun(env, async (parse, ct) =>
        {
            var app = parse.GetValue(name)!;
            using var api = CommandSupport.LoggedInClient(env);
            env.Out.WriteLine($"Restarting app {app}...");
            var detail = await DeploymentWaiter.DeployAsync(api, env, app, DeploymentOptions.Request(parse, strategy, maxInFlight),
                TimeSpan.FromSeconds(parse.GetValue(timeout)), ct);
            env.Out.WriteLine();
            AppSummary.Write(env.Out, detail);
            return 0;
        });
        return command;
    }

    public static Command Start(CliEnvironment env)
    {
        var name = CommandSupport.AppNameArgument();
        var timeout = TimeoutOption();
        var command = new Command("start", "Start an app and wait until its instances run") { name, timeout };
        command.SetRun(env, async (parse, ct) =>
        {
            var app = parse.GetValue(name)!;
            using var api = CommandSupport.LoggedInClient(env);
            env.Out.WriteLine($"Starting app {app}...");
            await api.StartAsync(app, ct);
            var detail = await AppWaiter.WaitRunningAsync(api, env, app, TimeSpan.FromSeconds(parse.GetValue(timeout)), ct);
            env.Out.WriteLine();
            AppSummary.Write(env.Out, detail);
            return 0;
        });
        return command;
    }

    public static Command Stop(CliEnvironment env)
    {
        var name = CommandSupport.AppNameArgument();
        var command = new Command("stop", "Stop all of an app's instances") { name };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = CommandSupport.LoggedInClient(env);
            var app = await api.StopAsync(parse.GetValue(name)!, ct);
            env.Out.WriteLine($"Stopped app {app.Name}. OK");
            return 0;
        });
        return command;
    }

    public static Command Delete(CliEnvironment env)
    {
        var name = CommandSupport.AppNameArgument();
        var force = new Option<bool>("-f", "--force") { Description = "Delete without asking" };
        var command = new Command("delete", "Delete an app, its routes, packages and droplets") { name, force };
        command.SetRun(env, async (parse, ct) =>
        {
            var app = parse.GetValue(name)!;
            if (!parse.GetValue(force))
            {
                if (!env.Interactive)
                    throw new CliException($"refusing to delete {app} without confirmation: use -f when not at a terminal");
                env.Err.Write($"Really delete the app {app}? [yN]: ");
                var answer = env.In.ReadLine()?.Trim();
                if (!string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase) && !string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase))
                {
                    env.Out.WriteLine("Delete cancelled.");
                    return 0;
                }
            }
            using var api = CommandSupport.LoggedInClient(env);
            try
            {
                await api.DeleteAppAsync(app, ct);
            }
            catch (Http.ApiException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
            {
                // As cf delete: what should be gone is gone, so scripts can delete without checking first.
                env.Out.WriteLine($"App {app} does not exist. OK");
                return 0;
            }
            env.Out.WriteLine($"Deleted app {app}. OK");
            return 0;
        });
        return command;
    }

    public static Command Events(CliEnvironment env)
    {
        var name = CommandSupport.AppNameArgument();
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var command = new Command("events", "Show an app's recent events, newest first") { name, json };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = CommandSupport.LoggedInClient(env);
            var events = await api.EventsAsync(parse.GetValue(name)!, ct);
            if (parse.GetValue(json))
                env.Out.WriteLine(JsonSerializer.Serialize(events, Json));
            else
                Table.Write(env.Out, ["time", "event", "actor", "description"],
                    events.Select(e => (IReadOnlyList<string>)[Format.Time(e.Timestamp), e.Type, e.Actor, e.Description]));
            return 0;
        });
        return command;
    }
}
