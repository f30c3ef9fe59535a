using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Platform.Staging.Buildpacks;

/// <summary>
/// A dependency a buildpack pins: fetched on the staging host, verified against <see cref="Sha256"/>,
/// and shipped as its own layer at /layers/&lt;name&gt;/ in the droplet.
/// </summary>
/// <param name="Source">
/// Where it comes from: "apt:PACKAGE" is a Debian package fetched with apt-get download (sha256 of the .deb);
/// "npm:PACKAGE" a package tarball from the npm registry fetched with npm pack (sha256 of the .tgz);
/// "host-dotnet" the .NET runtime installed on the staging host, "host-dotnet-sdk" its .NET SDK (sha256 of the
/// packed layer).
/// </param>
/// <param name="InstallRoot">
/// Null: the files go to /layers/&lt;name&gt;/. "/": they go where the Debian package puts them, for files
/// other programs find only by an absolute path (Debian's Node loads its builtins from /usr/share/nodejs).
/// </param>
public sealed record BuildpackDependency(string Name, string Version, string Sha256, string Source, string? InstallRoot = null)
{
    public const string AptPrefix = "apt:";
    public const string NpmPrefix = "npm:";
    public const string HostDotnetSource = "host-dotnet";
    public const string HostDotnetSdkSource = "host-dotnet-sdk";

    /// <summary>The Debian package name of an "apt:" source.</summary>
    public string AptPackage => Source[AptPrefix.Length..];

    /// <summary>The npm package name of an "npm:" source.</summary>
    public string NpmPackage => Source[NpmPrefix.Length..];

    public bool IsApt => Source.StartsWith(AptPrefix, StringComparison.Ordinal);
    public bool IsNpm => Source.StartsWith(NpmPrefix, StringComparison.Ordinal);
    public bool IsHostDotnet => Source == HostDotnetSource;
    public bool IsHostDotnetSdk => Source == HostDotnetSdkSource;

    /// <summary>A copy of something installed on the staging host, pinned by the digest of its packed layer.</summary>
    public bool IsFromHost => IsHostDotnet || IsHostDotnetSdk;

    /// <summary>Whether the files go to the rootfs's own paths rather than /layers/&lt;name&gt;/.</summary>
    public bool AtRoot => InstallRoot == "/";
}

/// <summary>A buildpack's manifest.yml: name, version and the dependencies it pins.</summary>
public sealed partial record BuildpackManifest(string Name, string Version, IReadOnlyList<BuildpackDependency> Dependencies)
{
    /// <summary>Parses and validates manifest.yml; <paramref name="origin"/> names the file in errors.</summary>
    public static BuildpackManifest Parse(string yaml, string origin)
    {
        RawManifest raw;
        try
        {
            var deserializer = new DeserializerBuilder()
                .WithNamingConvention(UnderscoredNamingConvention.Instance)
                .IgnoreUnmatchedProperties()
                .Build();
            raw = deserializer.Deserialize<RawManifest?>(yaml) ?? new RawManifest();
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{origin}: not valid YAML: {e.Message}", e);
        }

        if (string.IsNullOrWhiteSpace(raw.Name) || !NamePattern().IsMatch(raw.Name))
            throw new InvalidDataException($"{origin}: 'name' must be lowercase letters, digits, '-' or '_' (got '{raw.Name}')");
        if (string.IsNullOrWhiteSpace(raw.Version))
            throw new InvalidDataException($"{origin}: 'version' is required");

        var dependencies = new List<BuildpackDependency>();
        foreach (var d in raw.Dependencies ?? [])
        {
            var where = $"{origin}: dependency '{d.Name}'";
            // The name becomes a path (/layers/<name>/), so it must be a plain, safe file name.
            if (string.IsNullOrWhiteSpace(d.Name) || !NamePattern().IsMatch(d.Name))
                throw new InvalidDataException($"{where}: 'name' must be lowercase letters, digits, '-' or '_'");
            if (string.IsNullOrWhiteSpace(d.Version) || !DebianVersionPattern().IsMatch(d.Version))
                throw new InvalidDataException($"{where}: 'version' is missing or not a Debian version");
            if (string.IsNullOrWhiteSpace(d.Sha256) || !Sha256Pattern().IsMatch(d.Sha256))
                throw new InvalidDataException($"{where}: 'sha256' must be 64 lowercase hex digits");
            var validSource = d.Source switch
            {
                null => false,
                BuildpackDependency.HostDotnetSource or BuildpackDependency.HostDotnetSdkSource => true,
                _ when d.Source.StartsWith(BuildpackDependency.AptPrefix, StringComparison.Ordinal) =>
                    DebianPackagePattern().IsMatch(d.Source[BuildpackDependency.AptPrefix.Length..]),
                _ when d.Source.StartsWith(BuildpackDependency.NpmPrefix, StringComparison.Ordinal) =>
                    NpmPackagePattern().IsMatch(d.Source[BuildpackDependency.NpmPrefix.Length..]),
                _ => false,
            };
            if (!validSource)
                throw new InvalidDataException(
                    $"{where}: 'source' must be 'apt:<debian package>', 'npm:<npm package>', 'host-dotnet' or 'host-dotnet-sdk' (got '{d.Source}')");
            if (d.InstallRoot is not null && d.InstallRoot != "/")
                throw new InvalidDataException($"{where}: 'install_root' may only be '/' (got '{d.InstallRoot}'); leave it out for /layers/{d.Name}/");
            if (d.InstallRoot is not null && d.Source is BuildpackDependency.HostDotnetSource or BuildpackDependency.HostDotnetSdkSource)
                throw new InvalidDataException($"{where}: 'install_root' is for apt: and npm: dependencies only");
            if (dependencies.Any(x => x.Name == d.Name))
                throw new InvalidDataException($"{where}: listed twice");
            dependencies.Add(new BuildpackDependency(d.Name, d.Version, d.Sha256, d.Source!, d.InstallRoot));
        }
        return new BuildpackManifest(raw.Name, raw.Version, dependencies);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9.+~:-]+$")]
    private static partial Regex DebianVersionPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9+.-]+$")]
    private static partial Regex DebianPackagePattern();

    // An npm name, unscoped or @scope/name: lowercase, URL-safe, no path tricks.
    [GeneratedRegex("^(@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex NpmPackagePattern();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();

    private sealed class RawManifest
    {
        public string? Name { get; set; }
        public string? Version { get; set; }
        public List<RawDependency>? Dependencies { get; set; }
    }

    private sealed class RawDependency
    {
        public string? Name { get; set; }
        public string? Version { get; set; }
        public string? Sha256 { get; set; }
        public string? Source { get; set; }
        public string? InstallRoot { get; set; }
    }
}
