using System.CommandLine;

namespace Platform.Cli.Commands;

/// <summary>create-app-manifest: an app's settings as a manifest, which plat push turns back into the same app.</summary>
internal static class ManifestCommands
{
    public static IEnumerable<Command> All(CliEnvironment env) => [CreateAppManifest(env)];

    private static Command CreateAppManifest(CliEnvironment env)
    {
        var app = CommandSupport.AppNameArgument();
        var path = new Option<string?>("-p", "--path") { HelpName = "FILE", Description = "Where to write it (default: ./APP_manifest.yml)" };
        var command = new Command("create-app-manifest", "Write an app's manifest (its env included): plat push -f FILE gives the same app") { app, path };
        command.SetRun(env, async (parse, ct) =>
        {
            var name = parse.GetValue(app)!;
            var file = Path.GetFullPath(parse.GetValue(path) ?? $"{name}_manifest.yml", env.WorkingDirectory);
            using var api = CommandSupport.LoggedInClient(env);
            var yaml = await api.AppManifestAsync(name, ct);
            // It holds the app's env, which may be secret: readable by its owner only.
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            await using (var stream = new FileStream(file, options))
            await using (var writer = new StreamWriter(stream))
                await writer.WriteAsync(yaml.AsMemory(), ct);
            env.Out.WriteLine($"Wrote the manifest of app {name} to {file}. OK");
            return 0;
        });
        return command;
    }
}
