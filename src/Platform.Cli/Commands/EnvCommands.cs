using System.CommandLine;
using System.Text.Json;
using Platform.Contracts;

namespace Platform.Cli.Commands;

/// <summary>env, set-env, unset-env: an app's environment variables, as cf's.</summary>
internal static class EnvCommands
{
    public static IEnumerable<Command> All(CliEnvironment env) => [Show(env), Set(env), Unset(env)];

    private static Command Show(CliEnvironment env)
    {
        var app = CommandSupport.AppNameArgument();
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("env", "Show an app's environment: your variables and what the platform sets") { app, json };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = CommandSupport.LoggedInClient(env);
            var result = await api.EnvAsync(parse.GetValue(app)!, ct);
            if (parse.GetValue(json))
            {
                env.Out.WriteLine(JsonSerializer.Serialize(result, AppCommands.Json));
                return 0;
            }
            env.Out.WriteLine("System-Provided:");
            foreach (var (k, v) in result.Platform.OrderBy(kv => kv.Key, StringComparer.Ordinal)) env.Out.WriteLine($"{k}: {v}");
            env.Out.WriteLine();
            env.Out.WriteLine("User-Provided:");
            if (result.User.Count == 0) env.Out.WriteLine("(none)");
            foreach (var (k, v) in result.User.OrderBy(kv => kv.Key, StringComparer.Ordinal)) env.Out.WriteLine($"{k}: {v}");
            if (result.RestartRequired) env.Out.WriteLine($"\nTIP: running instances have an older environment: plat restart {parse.GetValue(app)}");
            return 0;
        });
        return command;
    }

    private static Command Set(CliEnvironment env)
    {
        var app = CommandSupport.AppNameArgument();
        var name = new Argument<string>("NAME") { Description = "Variable name" };
        var value = new Argument<string>("VALUE") { Description = "Variable value" };
        var command = new Command("set-env", "Set an environment variable of an app (instances see it once restarted)") { app, name, value };
        command.SetRun(env, async (parse, ct) =>
        {
            var variable = parse.GetValue(name)!;
            if (EnvRules.CheckName(variable) is { } bad) throw new CliException(bad);
            using var api = CommandSupport.LoggedInClient(env);
            var result = await api.SetEnvAsync(parse.GetValue(app)!, variable, parse.GetValue(value)!, ct);
            env.Out.WriteLine($"Set {variable} for {parse.GetValue(app)}. OK");
            if (result.RestartRequired) env.Out.WriteLine($"TIP: use 'plat restart {parse.GetValue(app)}' for the change to take effect");
            return 0;
        });
        return command;
    }

    private static Command Unset(CliEnvironment env)
    {
        var app = CommandSupport.AppNameArgument();
        var name = new Argument<string>("NAME") { Description = "Variable name" };
        var command = new Command("unset-env", "Remove an environment variable of an app") { app, name };
        command.SetRun(env, async (parse, ct) =>
        {
            using var api = CommandSupport.LoggedInClient(env);
            var result = await api.UnsetEnvAsync(parse.GetValue(app)!, parse.GetValue(name)!, ct);
            env.Out.WriteLine($"Removed {parse.GetValue(name)} from {parse.GetValue(app)}. OK");
            if (result.RestartRequired) env.Out.WriteLine($"TIP: use 'plat restart {parse.GetValue(app)}' for the change to take effect");
            return 0;
        });
        return command;
    }
}
