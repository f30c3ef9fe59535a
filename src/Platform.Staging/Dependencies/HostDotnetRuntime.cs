using System.Text.Json;
using Microsoft.Extensions.Options;
using Platform.Staging.Buildpacks;

namespace Platform.Staging.Dependencies;

/// <summary>
/// Copies parts of the .NET installation on the staging host (<c>Staging:HostDotnetRoot</c>) into a layer directory:
/// a "host-dotnet" dependency is the runtime an app runs on (the dotnet muxer, host/fxr/&lt;v&gt;,
/// shared/{Microsoft.NETCore.App, Microsoft.AspNetCore.App}/&lt;v&gt;); a "host-dotnet-sdk" dependency is the SDK that
/// publishes a project inside the staging container (the muxer, host/fxr, the runtime the SDK itself runs on,
/// sdk/&lt;v&gt;, sdk-manifests and the reference packs it compiles against). There is no .deb of either in Debian; what
/// pins them is the manifest's sha256 of the packed layer, which <see cref="DependencyLayers"/> checks after packing
/// (the packer is deterministic).
/// </summary>
public sealed class HostDotnetRuntime(IOptions<StagingOptions> options)
{
    private readonly StagingOptions _options = options.Value;

    private string Root => _options.HostDotnetRoot;

    public async Task CopyRuntimeAsync(BuildpackDependency dependency, string target, Action<string> log, CancellationToken cancellationToken)
    {
        var version = dependency.Version;
        string[] parts =
        [
            Path.Combine("shared", "Microsoft.NETCore.App", version),
            Path.Combine("shared", "Microsoft.AspNetCore.App", version),
            Path.Combine("host", "fxr", version),
        ];
        RequireInstalled(dependency, parts, () =>
            $"installed runtimes: {Installed(Path.Combine("shared", "Microsoft.NETCore.App"))}");
        log($"       Copying the host's .NET runtime {version} from {Root}");
        await CopyPartsAsync(parts, target, cancellationToken);
    }

    public async Task CopySdkAsync(BuildpackDependency dependency, string target, Action<string> log, CancellationToken cancellationToken)
    {
        var sdk = Path.Combine("sdk", dependency.Version);
        RequireInstalled(dependency, [sdk], () => $"installed SDKs: {Installed("sdk")}");
        // The runtime the SDK's own tools (MSBuild, Roslyn) run on, and the reference packs of that version, which a
        // framework-dependent publish for it compiles against. The apphost pack is left out: projects are published
        // with UseAppHost=false.
        var runtime = RuntimeOfSdk(sdk);
        string[] parts =
        [
            sdk,
            "sdk-manifests",
            Path.Combine("host", "fxr", runtime),
            Path.Combine("shared", "Microsoft.NETCore.App", runtime),
            Path.Combine("packs", "Microsoft.NETCore.App.Ref", runtime),
            Path.Combine("packs", "Microsoft.AspNetCore.App.Ref", runtime),
        ];
        RequireInstalled(dependency, parts, () => $"the SDK runs on .NET {runtime}; installed runtimes: {Installed(Path.Combine("shared", "Microsoft.NETCore.App"))}");
        log($"       Copying the host's .NET SDK {dependency.Version} (on .NET {runtime}) from {Root}");
        await CopyPartsAsync(parts, target, cancellationToken);
    }

    /// <summary>The Microsoft.NETCore.App version sdk/&lt;v&gt;/dotnet.runtimeconfig.json names.</summary>
    private string RuntimeOfSdk(string sdk)
    {
        var config = Path.Combine(Root, sdk, "dotnet.runtimeconfig.json");
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(config));
            return json.RootElement.GetProperty("runtimeOptions").GetProperty("framework").GetProperty("version").GetString()
                ?? throw new InvalidDataException("no framework version");
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidDataException or InvalidOperationException)
        {
            throw new StagingFailedException($"the staging host's .NET SDK at {Path.Combine(Root, sdk)} has no readable dotnet.runtimeconfig.json: {e.Message}");
        }
    }

    private void RequireInstalled(BuildpackDependency dependency, IReadOnlyList<string> parts, Func<string> installed)
    {
        var missing = parts.Where(p => !Directory.Exists(Path.Combine(Root, p))).ToList();
        if (!File.Exists(Path.Combine(Root, "dotnet"))) missing.Insert(0, "the dotnet muxer");
        if (missing.Count > 0)
            throw new StagingFailedException(
                $"dependency {dependency.Name}: the staging host's .NET installation at {Root} (Staging:HostDotnetRoot) does not have " +
                $"{dependency.Source} {dependency.Version} ({string.Join(", ", missing)} missing); {installed()}");
    }

    private string Installed(string directory)
    {
        var dir = Path.Combine(Root, directory);
        return Directory.Exists(dir) ? string.Join(", ", Directory.GetDirectories(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal)) : "none";
    }

    private async Task CopyPartsAsync(IReadOnlyList<string> parts, string target, CancellationToken cancellationToken)
    {
        foreach (var part in parts)
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, part))!);
        // cp -a keeps modes and links; --no-preserve=ownership,timestamps leaves no host-specific owners or times.
        var files = new List<string> { "dotnet" };
        files.AddRange(new[] { "LICENSE.txt", "ThirdPartyNotices.txt" }.Where(f => File.Exists(Path.Combine(Root, f))));
        foreach (var file in files)
            await CopyAsync(Path.Combine(Root, file), Path.Combine(target, file), cancellationToken);
        foreach (var part in parts)
            await CopyAsync(Path.Combine(Root, part), Path.Combine(target, part), cancellationToken);
    }

    private async Task CopyAsync(string source, string destination, CancellationToken cancellationToken)
    {
        var copy = await HostCommand.RunAsync("cp", ["-a", "--no-preserve=ownership,timestamps", "--", source, destination],
            Path.GetDirectoryName(destination)!, _options.DownloadTimeout, cancellationToken);
        if (!copy.Succeeded) throw new InvalidOperationException($"copying {source} failed: {copy.Output.Trim()}");
    }
}
