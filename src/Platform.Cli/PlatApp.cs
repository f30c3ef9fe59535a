using System.CommandLine;
using Platform.Cli.Commands;

namespace Platform.Cli;

/// <summary>The `plat` command line: Cloud Foundry's verbs and flags over the platform's REST API.</summary>
public static class PlatApp
{
    public static RootCommand BuildRoot(CliEnvironment env)
    {
        var root = new RootCommand("plat: push, scale and watch apps on the platform")
        {
            LoginCommands.Login(env),
            LoginCommands.Logout(env),
            LoginCommands.Target(env),
            PushCommand.Create(env),
            AppCommands.Apps(env),
            AppCommands.App(env),
            AppCommands.Scale(env),
            AppCommands.Start(env),
            AppCommands.Stop(env),
            AppCommands.Restart(env),
            LogsCommand.Create(env),
            AppCommands.Events(env),
            ExecCommand.Create(env),
            AppCommands.Delete(env),
            CatalogCommands.Buildpacks(env),
            CatalogCommands.Stacks(env),
            CatalogCommands.Cells(env),
        };
        foreach (var command in TenancyCommands.All(env).Concat(AccountCommands.All(env)).Concat(EnvCommands.All(env))
                     .Concat(DeploymentCommands.All(env)).Concat(RouteCommands.All(env)).Concat(SecurityGroupCommands.All(env)).Concat(ManifestCommands.All(env)))
            root.Subcommands.Add(command);
        return root;
    }

    /// <summary>Runs one command line; returns the exit code (0 ok, 1 error or bad usage).</summary>
    /// <param name="handleCtrlC">Whether Ctrl-C cancels the command (the real process); tests pass false.</param>
    public static Task<int> RunAsync(string[] args, CliEnvironment env, bool handleCtrlC = false, CancellationToken ct = default)
    {
        var configuration = new InvocationConfiguration
        {
            Output = env.Out,
            Error = env.Err,
            ProcessTerminationTimeout = handleCtrlC ? TimeSpan.FromSeconds(2) : null,
        };
        return BuildRoot(env).Parse(args).InvokeAsync(configuration, ct);
    }
}
