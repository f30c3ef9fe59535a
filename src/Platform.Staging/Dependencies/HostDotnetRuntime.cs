using Microsoft.Extensions.Options;
using Platform.Staging.Buildpacks;

namespace Platform.Staging.Dependencies;

/// <summary>
/// Copies the .NET runtime installed on the staging host (a "host-dotnet" dependency) into a layer directory:
/// the dotnet muxer, host/fxr/&lt;v&gt; and shared/{Microsoft.NETCore.App, Microsoft.AspNetCore.App}/&lt;v&gt;.
/// There is no .deb of it in Debian; what pins it is the manifest's sha256 of the packed layer, which
/// <see cref="DependencyLayers"/> checks after packing (the packer is deterministic).
/// </summary>
public sealed class HostDotnetRuntime(IOptions<StagingOptions> options)
{
    private readonly StagingOptions _options = options.Value;

    public async Task CopyAsync(BuildpackDependency dependency, string target, Action<string> log, CancellationToken cancellationToken)
    {
        var root = _options.HostDotnetRoot;
        var version = dependency.Version;
        var parts = new[]
        {
            Path.Combine("shared", "Microsoft.NETCore.App", version),
            Path.Combine("shared", "Microsoft.AspNetCore.App", version),
            Path.Combine("host", "fxr", version),
        };
        var missing = parts.Where(p => !Directory.Exists(Path.Combine(root, p))).ToList();
        if (missing.Count > 0 || !File.Exists(Path.Combine(root, "dotnet")))
        {
            var installed = Directory.Exists(Path.Combine(root, "shared", "Microsoft.NETCore.App"))
                ? string.Join(", ", Directory.GetDirectories(Path.Combine(root, "shared", "Microsoft.NETCore.App")).Select(Path.GetFileName))
                : "none";
            throw new StagingFailedException(
                $"dependency {dependency.Name}: the staging host's .NET installation at {root} (Staging:HostDotnetRoot) does not have " +
                $"runtime {version} ({string.Join(", ", missing.DefaultIfEmpty("the dotnet muxer"))} missing); installed runtimes: {installed}");
        }
        log($"       Copying the host's .NET runtime {version} from {root}");
        foreach (var part in parts)
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, part))!);
        // cp -a keeps modes and links; --no-preserve=ownership,timestamps leaves no host-specific owners or times.
        var sources = new List<string> { "dotnet" };
        sources.AddRange(new[] { "LICENSE.txt", "ThirdPartyNotices.txt" }.Where(f => File.Exists(Path.Combine(root, f))));
        foreach (var file in sources)
            await CopyAsync(Path.Combine(root, file), Path.Combine(target, file), cancellationToken);
        foreach (var part in parts)
            await CopyAsync(Path.Combine(root, part), Path.Combine(target, part), cancellationToken);
    }

    private async Task CopyAsync(string source, string destination, CancellationToken cancellationToken)
    {
        var copy = await HostCommand.RunAsync("cp", ["-a", "--no-preserve=ownership,timestamps", "--", source, destination],
            Path.GetDirectoryName(destination)!, _options.DownloadTimeout, cancellationToken);
        if (!copy.Succeeded) throw new InvalidOperationException($"copying {source} failed: {copy.Output.Trim()}");
    }
}
