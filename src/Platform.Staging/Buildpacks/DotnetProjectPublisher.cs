using Microsoft.Extensions.Options;

namespace Platform.Staging.Buildpacks;

/// <summary>
/// Publishes an app pushed as a .NET project (one *.csproj at its root, no *.runtimeconfig.json) with the staging
/// host's SDK before the dotnet buildpack runs, replacing the app directory with the framework-dependent publish
/// output. The SDK and its NuGet feed are on the host, not in the stack, so this runs on the host, as the build
/// user (never root: MSBuild runs the project's own targets), with HOME and the NuGet package folder in the
/// app's build cache, so a restage restores packages from there.
/// </summary>
public sealed class DotnetProjectPublisher(IOptions<StagingOptions> options)
{
    private readonly StagingOptions _options = options.Value;

    /// <summary>The one project at the app's root when the app is a project rather than a published app; else null.</summary>
    public static string? ProjectToPublish(string appDir)
    {
        if (Directory.EnumerateFiles(appDir, "*.runtimeconfig.json").Any()) return null;
        var projects = Directory.GetFiles(appDir, "*.csproj");
        return projects.Length == 1 ? projects[0] : null;
    }

    public async Task PublishAsync(string project, string appDir, string cacheDir, string workDir, Action<string> log, CancellationToken ct)
    {
        if (_options.DotnetSdkPath is not { Length: > 0 } sdk || !File.Exists(sdk))
            throw new StagingFailedException(
                $"the app is a .NET project ({Path.GetFileName(project)}), but this stager has no .NET SDK (Staging:DotnetSdkPath); " +
                "push the output of 'dotnet publish' instead");
        var output = Path.Combine(workDir, "publish");
        Directory.CreateDirectory(output);
        var chown = await HostCommand.RunAsync("chown", [$"{_options.BuildUid}:{_options.BuildGid}", output], workDir, TimeSpan.FromMinutes(1), ct);
        if (!chown.Succeeded) throw new InvalidOperationException("chown of the publish directory failed: " + chown.Output.Trim());

        log($"-----> Publishing {Path.GetFileName(project)} with the stager's .NET SDK (dotnet publish -c Release, framework-dependent)");
        string[] arguments =
        [
            $"--reuid={_options.BuildUid}", $"--regid={_options.BuildGid}", "--clear-groups", "--",
            "env", $"HOME={cacheDir}", $"DOTNET_CLI_HOME={cacheDir}", $"NUGET_PACKAGES={Path.Combine(cacheDir, "nuget")}",
            "DOTNET_CLI_TELEMETRY_OPTOUT=1", "DOTNET_NOLOGO=1", "DOTNET_CLI_USE_MSBUILD_SERVER=0",
            sdk, "publish", project, "-c", "Release", "-o", output, "--self-contained", "false",
            "--disable-build-servers", "-nodeReuse:false", "-v", "minimal", "-p:UseAppHost=false",
        ];
        var publish = await HostCommand.RunAsync("setpriv", arguments, appDir, _options.StepTimeout, ct);
        foreach (var line in publish.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            log("       " + line.TrimEnd('\r'));
        if (!publish.Succeeded)
            throw new StagingFailedException($"dotnet publish of {Path.GetFileName(project)} failed (exit {publish.ExitCode}); its output is above");

        // The droplet holds what was published, not the sources, obj/ and bin/.
        foreach (var entry in new DirectoryInfo(appDir).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo d) d.Delete(recursive: true);
            else entry.Delete();
        }
        foreach (var entry in new DirectoryInfo(output).EnumerateFileSystemInfos())
        {
            var target = Path.Combine(appDir, entry.Name);
            if (entry is DirectoryInfo d) d.MoveTo(target);
            else ((FileInfo)entry).MoveTo(target);
        }
    }
}
